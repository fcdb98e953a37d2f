# Terraform 1.12 and later: adopt an existing instance by its identity.
# Region and zone default to the provider's.
import {
  to = compshare_instance.trainer
  identity = {
    uhost_id = "uhost-xxxx"
    # region = "cn-sh2"
    # zone   = "cn-sh2-02"
  }
}
