# Terraform 1.12 and later: adopt an existing image by its identity. Region
# and zone default to the provider's. The image list does not say which
# instance the image was built from: the first apply records uhost_id from
# the configuration, in place, without building anything.
import {
  to = compshare_custom_image.env
  identity = {
    image_id = "compshareImage-xxxx"
    # region = "cn-sh2"
    # zone   = "cn-sh2-02"
  }
}
