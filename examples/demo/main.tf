# The demo reads two image builds from the local Compshare API emulator and
# waits for the one still building before it creates what needs it.
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
