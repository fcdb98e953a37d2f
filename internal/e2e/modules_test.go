package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

// gatedImageModule is the example module with its terraform test files.
var gatedImageModule = filepath.Join(examplesDir, "modules", "gated-image")

// copyModule copies the example module, tests/ included, into w.
func copyModule(w *workspace) {
	w.t.Helper()
	err := filepath.WalkDir(gatedImageModule, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(gatedImageModule, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(w.dir, filepath.Dir(rel)), 0o700); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(w.dir, rel), data, 0o600)
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// TestModuleTestWithMockProvider runs the example module's mock test as a
// user without an account would: no keys, and not one API request (the
// provider's address points at an emulator that counts them).
func TestModuleTestWithMockProvider(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t)
	keys := newKeyPair(t)
	srv := startEmulator(t, keys, emulator.Config{})
	w.setEnv("COMPSHARE_BASE_URL=" + srv.URL())
	copyModule(w)
	r := w.mustTerraform("test", "-no-color", "-filter=tests/mock.tftest.hcl")
	if !strings.Contains(r.stdout, "Success! 2 passed, 0 failed.") {
		t.Errorf("the mock test did not pass both runs:\n%s", r)
	}
	if n := srv.RequestCount(); n != 0 {
		t.Errorf("%d API requests under mock_provider, want none", n)
	}
}

// TestModuleTestAgainstEmulator runs the example module's emulator test: a
// real build through the provider, and the image deleted at the end.
func TestModuleTestAgainstEmulator(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t)
	keys := newKeyPair(t)
	srv := startEmulator(t, keys, emulator.Config{
		Instances: []emulator.Instance{{ID: "uhost-e2e-module", GpuType: "4090", GPU: 1}},
		NewBuild:  emulator.Image{Total: 3 * time.Second},
	})
	w.setEnv(apiEnv(srv, keys)...)
	w.setEnv("TF_VAR_uhost_id=uhost-e2e-module")
	copyModule(w)
	r := w.mustTerraform("test", "-no-color", "-filter=tests/emulator.tftest.hcl")
	if !strings.Contains(r.stdout, "Success! 1 passed, 0 failed.") {
		t.Errorf("the emulator test did not pass:\n%s", r)
	}
	created := 0
	for _, req := range srv.Requests() {
		if req.Action == "CreateCompShareCustomImage" && req.RetCode == 0 {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d images built, want 1", created)
	}
	if images := srv.Images(); len(images) != 0 {
		t.Errorf("images left on the platform after terraform test: %+v", images)
	}
}

// TestMockProviderPlanPaths: under mock_provider every resource, data source
// and action of the provider plans and applies without an API, and the
// provider's own validation still runs and refuses a zone outside its region.
func TestMockProviderPlanPaths(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t)
	keys := newKeyPair(t)
	srv := startEmulator(t, keys, emulator.Config{})
	w.setEnv("COMPSHARE_BASE_URL=" + srv.URL())
	w.write("main.tf", `terraform {
  required_providers {
    compshare = {
      source = "compshare/compshare"
    }
  }
}

variable "zone" {
  type    = string
  default = "cn-wlcb-01"
}

resource "compshare_custom_image" "env" {
  uhost_id = "uhost-x"
  name     = "env"
  tags     = ["cuda"]
  zone     = var.zone
  region   = "cn-wlcb"
}

resource "compshare_image_wait" "env" {
  image_id = compshare_custom_image.env.id
}

data "compshare_image_progress" "env" {
  image_id = compshare_image_wait.env.image_id
}

data "compshare_custom_images" "all" {
  name_regex = "^env"
  status     = "Available"
}

data "compshare_custom_image" "latest" {
  name_regex  = "^env"
  most_recent = true
}

action "compshare_image_wait" "env" {
  config {
    image_id = compshare_custom_image.env.id
  }
}

resource "terraform_data" "gated" {
  input = compshare_image_wait.env.completed

  lifecycle {
    action_trigger {
      events  = [before_create]
      actions = [action.compshare_image_wait.env]
    }
  }
}
`)
	if err := os.MkdirAll(filepath.Join(w.dir, "tests"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.write("tests/mock.tftest.hcl", `mock_provider "compshare" {
  mock_resource "compshare_custom_image" {
    defaults = {
      id     = "compshareImage-mock"
      status = "Available"
    }
  }
  mock_resource "compshare_image_wait" {
    defaults = {
      completed = true
      progress  = 100
    }
  }
}

run "plan" {
  command = plan
}

run "apply" {
  assert {
    condition     = terraform_data.gated.output
    error_message = "The wait did not complete."
  }
}

run "zone_outside_region" {
  command   = plan
  variables {
    zone = "cn-sh2-02"
  }
}
`)
	r := w.terraform("test", "-no-color")
	out := flat(r.stdout + r.stderr)
	for _, want := range []string{`run "plan"... pass`, `run "apply"... pass`, `run "zone_outside_region"... fail`, "Zone not in region"} {
		if !strings.Contains(out, want) {
			t.Errorf("terraform test output lacks %q:\n%s", want, r)
		}
	}
	if n := srv.RequestCount(); n != 0 {
		t.Errorf("%d API requests under mock_provider, want none", n)
	}
}
