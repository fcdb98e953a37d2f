variable "image_id" {
  description = "Id of the custom image being built."
  type        = string
}

# Read during plan: the plan shows where the build stands.
data "compshare_image_progress" "gpu" {
  image_id = var.image_id
}

output "image_progress" {
  value = "${data.compshare_image_progress.gpu.progress} % done, about ${coalesce(data.compshare_image_progress.gpu.remaining_duration, 0)} s left"
}

output "image_ready" {
  value = data.compshare_image_progress.gpu.completed
}
