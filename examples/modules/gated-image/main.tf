# Builds a custom image from an instance and creates what needs the image only
# once the platform lists it as Available.

terraform {
  required_providers {
    compshare = {
      source = "compshare/compshare"
    }
  }
}

variable "uhost_id" {
  description = "Id of the instance to build the image from, such as uhost-xxxx."
  type        = string
}

variable "image_name" {
  description = "Name of the image; no other image of the account may have it."
  type        = string
}

variable "build_timeout" {
  description = "How long apply waits for the build, such as 90m."
  type        = string
  default     = "60m"
}

resource "compshare_custom_image" "this" {
  uhost_id = var.uhost_id
  name     = var.image_name

  timeouts = {
    create = var.build_timeout
  }
}

# Stands for whatever needs the image (a GPU instance, a deployment): it
# refers to the image, so it is created only once the image is Available.
resource "terraform_data" "gpu_instance" {
  input = {
    image_id = compshare_custom_image.this.id
    status   = compshare_custom_image.this.status
  }
}

# Read once the image exists: how the build ended.
data "compshare_image_progress" "this" {
  image_id = compshare_custom_image.this.id
  region   = compshare_custom_image.this.region
  zone     = compshare_custom_image.this.zone
}

output "image_id" {
  description = "The image id."
  value       = compshare_custom_image.this.id
}

output "image_status" {
  description = "The image status when the dependent was created."
  value       = terraform_data.gpu_instance.output.status
}

output "build_completed" {
  description = "Whether the build had reached 100 %."
  value       = data.compshare_image_progress.this.completed
}
