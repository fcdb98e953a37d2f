# The demo builds an image of a GPU instance, starts a new GPU instance from
# it, and reads two image builds from the local Compshare API emulator; it
# creates what needs an image only once that image is usable.
# `make demo` starts the emulator and points the provider at it through the
# environment (COMPSHARE_BASE_URL and the keys).
terraform {
  required_providers {
    compshare = {
      source = "compshare/compshare"
    }
  }
}

provider "compshare" {}

variable "uhost_id" {
  description = "The GPU instance to build an image of."
  type        = string
  default     = "uhost-demo-gpu"
}

variable "building_image_id" {
  description = "An image still being built."
  type        = string
  default     = "compshareImage-demo-building"
}

variable "ready_image_id" {
  description = "An image already built."
  type        = string
  default     = "compshareImage-demo-ready"
}

# Apply builds an image of the instance and waits until it is Available...
resource "compshare_custom_image" "env" {
  uhost_id    = var.uhost_id
  name        = "demo-env"
  description = "built by make demo"
  tags        = ["demo"]
}

# ...so the new GPU instance starts from a usable image; apply waits until it
# is Running.
resource "compshare_instance" "from_new_image" {
  image_id    = compshare_custom_image.env.id
  name        = "demo-trainer"
  gpu_type    = "4090"
  gpu         = 1
  cpu         = 16
  memory_mb   = 65536
  charge_type = "Dynamic"
}

# The account's images, once the build is done.
data "compshare_custom_images" "all" {
  depends_on = [compshare_custom_image.env, compshare_image_wait.building]
}

# Read during plan: the plan shows where each build stands.
data "compshare_image_progress" "image" {
  for_each = toset([var.building_image_id, var.ready_image_id])
  image_id = each.value
}

# Apply waits here until the image is built...
resource "compshare_image_wait" "building" {
  image_id = var.building_image_id
}

# ...so this stand-in for a GPU instance is created only once it is ready.
resource "terraform_data" "gpu_instance" {
  input = {
    image_id       = compshare_image_wait.building.image_id
    image_ready_at = compshare_image_wait.building.completed_at
  }
}

output "progress_at_plan" {
  description = "Progress of each image, as read during plan."
  value = {
    for id, image in data.compshare_image_progress.image : id => {
      progress           = image.progress
      remaining_duration = image.remaining_duration
      completed          = image.completed
    }
  }
}

output "new_image" {
  description = "The image built from the instance, as the new instance saw it."
  value = {
    image_id = compshare_instance.from_new_image.image_id
    status   = compshare_custom_image.env.status
  }
}

output "new_instance" {
  description = "The GPU instance started from the new image."
  value = {
    id    = compshare_instance.from_new_image.id
    state = compshare_instance.from_new_image.state
    ips   = compshare_instance.from_new_image.ips
  }
}

output "images" {
  description = "The account's custom images after the apply."
  value       = { for image in data.compshare_custom_images.all.images : image.name => "${image.id} (${image.status})" }
}

output "gpu_instance" {
  description = "What the dependent resource was created with, after the wait."
  value       = terraform_data.gpu_instance.output
}

output "wait" {
  description = "The wait's final values."
  value = {
    progress     = compshare_image_wait.building.progress
    completed    = compshare_image_wait.building.completed
    completed_at = compshare_image_wait.building.completed_at
  }
}
