# Every custom image of the account in the provider's region and zone.
list "compshare_custom_image" "all" {
  provider = compshare
}

# Images whose name starts with "pytorch-" and that are usable, in another
# region and zone.
list "compshare_custom_image" "pytorch" {
  provider = compshare
  limit    = 20

  config {
    region     = "cn-sh2"
    zone       = "cn-sh2-02"
    name_regex = "^pytorch-"
    status     = "Available"
  }
}
