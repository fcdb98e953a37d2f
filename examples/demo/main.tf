# The demo reads two image builds from the local Compshare API emulator;
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

variable "image_ids" {
  description = "Ids of the images to read."
  type        = list(string)
  default     = ["compshareImage-demo-building", "compshareImage-demo-ready"]
}

data "compshare_image_progress" "image" {
  for_each = toset(var.image_ids)
  image_id = each.value
}

output "images" {
  description = "Progress of each image, as read during plan."
  value = {
    for id, image in data.compshare_image_progress.image : id => {
      progress           = image.progress
      remaining_duration = image.remaining_duration
      total_duration     = image.total_duration
      completed          = image.completed
    }
  }
}
