variable "uhost_id" {
  description = "Id of the GPU instance to build the image from."
  type        = string
}

variable "password" {
  description = "Login password of the new instance; never stored in state or plan."
  type        = string
  sensitive   = true
  ephemeral   = true # Terraform 1.10 and later
  # Pass it as TF_VAR_password in the environment, or with -var, at every
  # plan, apply and destroy.
}

# Build an image of an instance...
resource "compshare_custom_image" "env" {
  uhost_id = var.uhost_id
  name     = "pytorch-env-v1"
}

# ...and start a new instance from it in the same apply: the instance is
# created only once the image is Available, and apply waits until it is
# Running.
resource "compshare_instance" "trainer" {
  image_id    = compshare_custom_image.env.id
  name        = "trainer-1" # no other instance of the zone may have it
  gpu_type    = "4090"
  gpu         = 1
  cpu         = 16
  memory_mb   = 65536
  charge_type = "Dynamic"

  boot_disk_type    = "CLOUD_SSD"
  boot_disk_size_gb = 100

  # Write-only (Terraform 1.11 and later): sent to the API, never stored.
  # Change the version to set a new password in place.
  password_wo         = var.password
  password_wo_version = 1

  # false stops the instance in place; cpu, memory_mb and gpu change in
  # place by stopping, resizing and starting it again.
  running = true

  timeouts = {
    create = "30m"
  }
}

output "trainer_ips" {
  value = compshare_instance.trainer.ips
}
