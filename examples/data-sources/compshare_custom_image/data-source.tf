# The newest image whose name starts with "pytorch-".
data "compshare_custom_image" "latest_pytorch" {
  name_regex  = "^pytorch-"
  most_recent = true
}

# One image by id, in a region and zone other than the provider's.
data "compshare_custom_image" "base" {
  id     = "compshareImage-xxxx"
  region = "cn-sh2"
  zone   = "cn-sh2-02"
}

output "latest_pytorch" {
  value = {
    id         = data.compshare_custom_image.latest_pytorch.id
    status     = data.compshare_custom_image.latest_pytorch.status
    created_at = data.compshare_custom_image.latest_pytorch.created_at
  }
}

output "base_image_size_mb" {
  value = data.compshare_custom_image.base.size_mb
}
