# Runs the module against the API emulator (cmd/compshare-emulator) or a real
# account: the provider reads COMPSHARE_BASE_URL, COMPSHARE_PUBLIC_KEY and
# COMPSHARE_PRIVATE_KEY, and the instance comes from TF_VAR_uhost_id. The run
# builds a real image and destroys it at the end.
#   terraform test -filter=tests/emulator.tftest.hcl

variables {
  image_name    = "gated-image-test"
  build_timeout = "10m"
}

run "builds_and_gates" {
  assert {
    condition     = compshare_custom_image.this.status == "Available"
    error_message = "The image is not Available after apply."
  }

  assert {
    condition     = output.image_status == "Available" && output.image_id == compshare_custom_image.this.id
    error_message = "The dependent was not created from the Available image."
  }

  assert {
    condition     = output.build_completed && compshare_custom_image.this.progress == 100
    error_message = "The build is not reported complete."
  }
}
