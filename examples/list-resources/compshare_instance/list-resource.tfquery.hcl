# Every GPU instance of the account in the provider's region and zone.
list "compshare_instance" "all" {
  provider = compshare
}

# The stopped instances whose name starts with "train-", with the resource
# each would import as (terraform query -generate-config-out=instances.tf).
list "compshare_instance" "stopped_training" {
  provider         = compshare
  include_resource = true

  config {
    name_regex = "^train-"
    state      = "Stopped"
  }
}
