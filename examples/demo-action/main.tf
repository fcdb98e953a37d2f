# The second part of `make demo` (Terraform 1.14 or later): the
# compshare_image_wait action watches an image build and reports its progress
# in the CLI while it waits:
#   terraform apply -invoke=action.compshare_image_wait.watch
terraform {
  required_providers {
    compshare = {
      source = "compshare/compshare"
    }
  }
}

provider "compshare" {}

variable "image_id" {
  description = "An image still being built."
  type        = string
  default     = "compshareImage-demo-watch"
}

action "compshare_image_wait" "watch" {
  config {
    image_id = var.image_id
  }
}
