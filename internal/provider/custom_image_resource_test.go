package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

const testInstance = "uhost-gpu1"

// startImageEmulator runs the emulator with one running VM instance, whose
// builds take build, the first few seconds of them still unknown by id.
func startImageEmulator(t *testing.T, build time.Duration) *emulator.Server {
	t.Helper()
	return startEmulator(t, emulator.Config{
		Instances: []emulator.Instance{{ID: testInstance, Name: "gpu", GpuType: "4090", GPU: 1}},
		NewBuild:  emulator.Image{Total: build, UnknownAnswers: 2},
	})
}

// imageConfig builds image "main" from the test instance, and gates a
// terraform_data on it.
func imageConfig(provider, name, extra string) string {
	return imageConfigOf(provider, testInstance, name, extra)
}

// imageConfigOf is imageConfig for another instance; extra is more
// attributes of the image, as HCL.
func imageConfigOf(provider, uhostID, name, extra string) string {
	return provider + tfcli.HCL(`
resource "compshare_custom_image" "main" {
  uhost_id = {{hcl .UHostID}}
  name     = {{hcl .Name}}
  {{.Extra}}
}

resource "terraform_data" "uses_image" {
  input = {
    image_id = compshare_custom_image.main.id
    status   = compshare_custom_image.main.status
  }
}
`, map[string]string{"UHostID": uhostID, "Name": name, "Extra": extra})
}

func TestAccCustomImage_buildsAndGates(t *testing.T) {
	srv := startImageEmulator(t, 4*time.Second)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: imageConfig(providerConfig(srv.URL()), "env-v1", `
  description = "CUDA 12"
  tags        = ["cuda", "train"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					// The dependent saw the image usable.
					statecheck.ExpectKnownValue("terraform_data.uses_image", tfjsonpath.New("output").AtMapKey("status"), knownvalue.StringExact("Available")),
					statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("progress"), knownvalue.Float64Exact(100)),
					statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("tags"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("cuda"), knownvalue.StringExact("train")})),
					statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("source_gpu_type"), knownvalue.StringExact("4090")),
					statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("container"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("created_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`))),
				},
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources["compshare_custom_image.main"].Primary.ID
					img, ok := srv.Image(id)
					if !ok || img.Name != "env-v1" || img.Description != "CUDA 12" {
						return fmt.Errorf("the platform holds %+v (found %t)", img, ok)
					}
					return nil
				},
			},
			{
				// Renamed in place, description and tags changed, no rebuild.
				Config: imageConfig(providerConfig(srv.URL()), "env-v2", `
  description = "CUDA 12.4"
  tags        = ["cuda"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_custom_image.main", plancheck.ResourceActionUpdate)},
				},
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources["compshare_custom_image.main"].Primary.ID; got != id {
						return fmt.Errorf("rebuilt: %s, was %s", got, id)
					}
					if img, _ := srv.Image(id); img.Name != "env-v2" || img.Description != "CUDA 12.4" || strings.Join(img.Tags, ",") != "cuda" {
						return fmt.Errorf("the platform holds %+v", img)
					}
					return nil
				},
			},
			{
				ResourceName:            "compshare_custom_image.main",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"uhost_id", "timeouts"},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if _, ok := srv.Image(id); ok {
				return fmt.Errorf("image %s is still on the platform after destroy", id)
			}
			return nil
		},
	})
}

func TestAccCustomImage_twoImagesOfOneInstance(t *testing.T) {
	srv := startImageEmulator(t, 3*time.Second)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL()) + tfcli.HCL(`
resource "compshare_custom_image" "a" {
  uhost_id = {{hcl .}}
  name     = "first"
}

resource "compshare_custom_image" "b" {
  uhost_id = {{hcl .}}
  name     = "second"
}
`, testInstance),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("compshare_custom_image.a", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
				statecheck.ExpectKnownValue("compshare_custom_image.b", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
			},
		}},
	})
}

func TestAccCustomImage_failedBuildIsTaintedAndReplaced(t *testing.T) {
	srv := startImageEmulator(t, 3*time.Second)
	srv.SetNewBuild(emulator.Image{Total: 20 * time.Second, FailAt: 2 * time.Second, FailedReason: "disk full"})
	var failedID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      imageConfig(providerConfig(srv.URL()), "env", ""),
				ExpectError: errorMatching(`failed to build.*disk full.*tainted: the next apply deletes it and builds a new one`),
			},
			{
				PreConfig: func() {
					for _, img := range srv.Images() {
						failedID = img.ID
					}
					srv.SetNewBuild(emulator.Image{Total: 3 * time.Second})
				},
				Config: imageConfig(providerConfig(srv.URL()), "env", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_custom_image.main", plancheck.ResourceActionReplace)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
				},
				Check: func(*terraform.State) error {
					if _, ok := srv.Image(failedID); ok {
						return fmt.Errorf("the failed image %s was not deleted", failedID)
					}
					return nil
				},
			},
		},
	})
}

func TestAccCustomImage_planErrors(t *testing.T) {
	srv := startImageEmulator(t, time.Second)
	srv.SetImage(emulator.Image{ID: "compshareImage-taken", Name: "taken", Start: time.Now().Add(-time.Hour), Total: time.Minute})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: providerConfig(srv.URL()) + `
resource "compshare_custom_image" "main" {
  uhost_id = "uhost-nosuch"
  name     = "env"
}`,
				PlanOnly:    true,
				ExpectError: errorMatching(`Instance not found.*uhost-nosuch.*region cn-wlcb, zone cn-wlcb-01`),
			},
			{
				// The plan only warns (the image may be this resource's own,
				// tainted): apply is refused and names the image.
				Config:      imageConfig(providerConfig(srv.URL()), "taken", ""),
				ExpectError: errorMatching(`Image name already in use.*compshareImage-taken.*"taken"`),
			},
			{
				Config:      imageConfig(providerConfig(srv.URL()), "env", `tags = []`),
				PlanOnly:    true,
				ExpectError: errorMatching(`tags set must contain at least 1 elements`),
			},
		},
	})
}

func TestAccCustomImage_deletedOutsideTerraform(t *testing.T) {
	srv := startImageEmulator(t, time.Second)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: imageConfig(providerConfig(srv.URL()), "env", ""),
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources["compshare_custom_image.main"].Primary.ID
					return nil
				},
			},
			{
				// Refresh finds it gone and plans a new build.
				PreConfig:          func() { deleteImage(t, srv, id) },
				Config:             imageConfig(providerConfig(srv.URL()), "env", ""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// deleteImage deletes an image through the API, as someone outside
// Terraform would.
func deleteImage(t *testing.T, srv *emulator.Server, id string) {
	t.Helper()
	client, err := compshare.New(compshare.Config{PublicKey: testPublicKey, PrivateKey: testPrivateKey, BaseURL: srv.URL()})
	if err == nil {
		err = client.DeleteImage(t.Context(), settings.DefaultRegion, settings.DefaultZone, id)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// A change of uhost_id builds a new image, which may keep the old one's name:
// the old image is deleted first.
func TestAccCustomImage_newInstanceKeepsTheName(t *testing.T) {
	srv := startEmulator(t, emulator.Config{
		Instances: []emulator.Instance{{ID: testInstance, Name: "gpu"}, {ID: "uhost-gpu2", Name: "gpu2"}},
		NewBuild:  emulator.Image{Total: 2 * time.Second},
	})
	var first string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: imageConfig(providerConfig(srv.URL()), "env", ""),
				Check: func(s *terraform.State) error {
					first = s.RootModule().Resources["compshare_custom_image.main"].Primary.ID
					return nil
				},
			},
			{
				Config: imageConfigOf(providerConfig(srv.URL()), "uhost-gpu2", "env", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_custom_image.main", plancheck.ResourceActionReplace)},
				},
				Check: func(*terraform.State) error {
					if _, ok := srv.Image(first); ok {
						return fmt.Errorf("the replaced image %s is still on the platform", first)
					}
					return nil
				},
			},
			{
				// Forced with -replace, the name is no clash either.
				Config: imageConfigOf(providerConfig(srv.URL()), "uhost-gpu2", "env", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_custom_image.main", plancheck.ResourceActionReplace)},
				},
				Taint: []string{"compshare_custom_image.main"},
			},
		},
	})
}

// An image that the platform takes down is replaced by the next apply, with
// a warning; one deleted outside Terraform is only dropped; import takes
// region/zone/id.
func TestAccCustomImage_offlineReplacedAndImportWithLocation(t *testing.T) {
	srv := startImageEmulator(t, time.Second)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: imageConfig(providerConfig(srv.URL()), "env", ""),
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources["compshare_custom_image.main"].Primary.ID
					return nil
				},
			},
			{
				ResourceName:            "compshare_custom_image.main",
				ImportState:             true,
				ImportStateIdFunc:       func(*terraform.State) (string, error) { return "cn-wlcb/cn-wlcb-01/" + id, nil },
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"uhost_id", "timeouts"},
			},
			{
				PreConfig: func() {
					img, _ := srv.Image(id)
					img.Status = "Offline"
					srv.SetImage(img)
				},
				Config: imageConfig(providerConfig(srv.URL()), "env", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_custom_image.main", plancheck.ResourceActionReplace)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
				},
			},
		},
	})
}
