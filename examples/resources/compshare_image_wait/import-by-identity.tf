# Terraform 1.12 and later: adopt a finished build (100 %) as a completed
# wait by its identity. Region and zone default to the provider's.
import {
  to = compshare_image_wait.gpu
  identity = {
    image_id = "compshareImage-xxxx"
    # region = "cn-sh2"
    # zone   = "cn-sh2-02"
  }
}
