# Your own configuration against the emulator with a local build: see the
# README ("Using a local build"). Start the emulator first:
#   bin/compshare-emulator -listen 127.0.0.1:18080 -public-key pub -private-key priv \
#     -instance uhost-mine -new-build 90s -image compshareImage-mine:120s:30s

terraform {
  required_providers {
    compshare = {
      source = "compshare/compshare"
    }
  }
}

provider "compshare" {
  base_url = "http://127.0.0.1:18080" # the emulator; remove it to use the real API
}

# An image of the emulator's instance uhost-mine: its build takes 90 s.
resource "compshare_custom_image" "mine" {
  uhost_id = "uhost-mine"
  name     = "my-first-image"
}

# A build the emulator already runs: 120 s long, 30 s in.
resource "compshare_image_wait" "running" {
  image_id = "compshareImage-mine"
}

# The account's images, read once the new one is built.
data "compshare_custom_images" "all" {
  depends_on = [compshare_custom_image.mine]
}

output "image_ids" {
  value = data.compshare_custom_images.all.images[*].id
}
