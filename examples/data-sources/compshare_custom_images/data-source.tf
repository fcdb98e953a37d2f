# The usable builds of the "pytorch-" images, oldest first.
data "compshare_custom_images" "pytorch" {
  name_regex = "^pytorch-"
  status     = "Available"
}

# Every image still being built, with how far each has come.
data "compshare_custom_images" "building" {
  status = "Making"
}

output "pytorch_image_ids" {
  value = data.compshare_custom_images.pytorch.images[*].id
}

output "builds_in_progress" {
  value = { for image in data.compshare_custom_images.building.images : image.name => image.progress }
}
