variable "uhost_id" {
  description = "Id of the GPU instance to build the image from."
  type        = string
}

# Apply starts the build and waits until the platform lists the image as
# Available...
resource "compshare_custom_image" "env" {
  uhost_id    = var.uhost_id
  name        = "pytorch-env-v1"
  description = "CUDA 12.4, PyTorch 2.5"
  tags        = ["cuda", "training"]

  timeouts = {
    create = "90m"
  }
}

# ...so whatever refers to the image is created only once it can be used.
resource "terraform_data" "gpu_instance" {
  input = {
    image_id = compshare_custom_image.env.id
    size_mb  = compshare_custom_image.env.size_mb
  }
}
