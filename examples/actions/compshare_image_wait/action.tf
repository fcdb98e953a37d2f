# Terraform 1.14 and later: earlier versions and OpenTofu have no actions.
variable "image_id" {
  description = "Id of the custom image being built."
  type        = string
}

# Waits for the image and reports its progress in the CLI while it waits:
#   terraform apply -invoke=action.compshare_image_wait.gpu
action "compshare_image_wait" "gpu" {
  config {
    image_id = var.image_id

    timeouts = {
      invoke = "90m"
    }
  }
}

# Or run it before creating what needs the image.
resource "terraform_data" "gpu_instance" {
  input = var.image_id

  lifecycle {
    action_trigger {
      events  = [before_create]
      actions = [action.compshare_image_wait.gpu]
    }
  }
}
