terraform {
  required_providers {
    compshare = {
      source = "compshare/compshare"
    }
  }
}

# Keys are best taken from the environment (COMPSHARE_PUBLIC_KEY and
# COMPSHARE_PRIVATE_KEY) rather than written into configuration.
provider "compshare" {
  region = "cn-wlcb"
  zone   = "cn-wlcb-01"
}
