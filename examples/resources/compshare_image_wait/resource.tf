variable "image_id" {
  description = "Id of the custom image being built."
  type        = string
}

# Apply waits here until the image is built...
resource "compshare_image_wait" "gpu" {
  image_id = var.image_id

  timeouts = {
    create = "90m"
  }
}

# ...so whatever refers to the wait is created only once the image is ready.
resource "terraform_data" "gpu_instance" {
  input = {
    image_id     = compshare_image_wait.gpu.image_id
    image_ready  = compshare_image_wait.gpu.completed_at
    build_length = compshare_image_wait.gpu.total_duration
  }
}
