# Runs the module without an account or any API: the provider's resources and
# data sources are mocked, its validation of the configuration is real.
#   terraform test -filter=tests/mock.tftest.hcl

mock_provider "compshare" {
  mock_resource "compshare_custom_image" {
    defaults = {
      id       = "compshareImage-mock"
      region   = "cn-wlcb"
      zone     = "cn-wlcb-01"
      status   = "Available"
      progress = 100
    }
  }

  mock_data "compshare_image_progress" {
    defaults = {
      region    = "cn-wlcb"
      zone      = "cn-wlcb-01"
      progress  = 100
      completed = true
    }
  }
}

variables {
  uhost_id   = "uhost-mock"
  image_name = "env-test"
}

run "plan_builds_one_image" {
  command = plan

  assert {
    condition     = compshare_custom_image.this.uhost_id == "uhost-mock" && compshare_custom_image.this.name == "env-test"
    error_message = "The plan does not build env-test from uhost-mock."
  }
}

run "dependent_sees_the_image_available" {
  assert {
    condition     = output.image_id == "compshareImage-mock"
    error_message = "The dependent does not refer to the image."
  }

  assert {
    condition     = output.image_status == "Available"
    error_message = "The dependent was created before the image was Available."
  }

  assert {
    condition     = output.build_completed
    error_message = "The build is not reported complete."
  }
}
