package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// identitySupported skips CLIs without resource identity (Terraform 1.12).
var identitySupported = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

// expectImageIdentity checks the identity of the resource at address.
func expectImageIdentity(address, region, zone string, imageID knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectIdentity(address, map[string]knownvalue.Check{
		"region": knownvalue.StringExact(region), "zone": knownvalue.StringExact(zone), "image_id": imageID,
	})
}

// A built image has its identity from create on; refresh keeps it; an import
// block with that identity adopts the image (and records uhost_id in place).
func TestAccCustomImage_identity(t *testing.T) {
	srv := startImageEmulator(t, 2*time.Second)
	const address = "compshare_custom_image.main"
	checks := []statecheck.StateCheck{
		expectImageIdentity(address, settings.DefaultRegion, settings.DefaultZone, knownvalue.StringRegexp(regexp.MustCompile(`^compshareImage-`))),
		statecheck.ExpectIdentityValueMatchesStateAtPath(address, tfjsonpath.New("image_id"), tfjsonpath.New("id")),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identitySupported,
		Steps: []resource.TestStep{
			{Config: imageConfig(providerConfig(srv.URL()), "env-identity", ""), ConfigStateChecks: checks},
			{ // refreshed, unchanged
				Config:            imageConfig(providerConfig(srv.URL()), "env-identity", ""),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: checks,
			},
			{
				ResourceName:    address,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				// The image list does not say which instance it came from:
				// uhost_id is recorded in place from the configuration.
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(address, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(address, tfjsonpath.New("uhost_id"), knownvalue.StringExact(testInstance)),
					},
				},
			},
		},
	})
}

// An import block with only image_id adopts an image in the provider's
// region and zone; with region and zone, one elsewhere.
func TestAccCustomImage_importByIdentity(t *testing.T) {
	const id = "compshareImage-seeded"
	srv := startEmulator(t, emulator.Config{
		Instances: []emulator.Instance{{ID: testInstance, GpuType: "4090", GPU: 1}},
		Images: []emulator.Image{
			{ID: id, Name: "seeded", Description: "CUDA 12", Start: time.Now().Add(-time.Hour), SourceGpuType: "4090"},
			{ID: "compshareImage-sh2", Name: "in-sh2", Region: "cn-sh2", Zone: "cn-sh2-02", Start: time.Now().Add(-time.Hour)},
		},
	})
	config := providerConfig(srv.URL()) + tfcli.HCL(`
import {
  to       = compshare_custom_image.adopted
  identity = { image_id = {{hcl .ID}} }
}

resource "compshare_custom_image" "adopted" {
  uhost_id = {{hcl .UHostID}}
  name     = "seeded"
}

import {
  to       = compshare_custom_image.elsewhere
  identity = { region = "cn-sh2", zone = "cn-sh2-02", image_id = "compshareImage-sh2" }
}

resource "compshare_custom_image" "elsewhere" {
  uhost_id = {{hcl .UHostID}}
  name     = "in-sh2"
  region   = "cn-sh2"
  zone     = "cn-sh2-02"
}
`, map[string]string{"ID": id, "UHostID": testInstance})
	checks := []statecheck.StateCheck{
		expectImageIdentity("compshare_custom_image.adopted", settings.DefaultRegion, settings.DefaultZone, knownvalue.StringExact(id)),
		statecheck.ExpectKnownValue("compshare_custom_image.adopted", tfjsonpath.New("description"), knownvalue.StringExact("CUDA 12")),
		statecheck.ExpectKnownValue("compshare_custom_image.adopted", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
		expectImageIdentity("compshare_custom_image.elsewhere", "cn-sh2", "cn-sh2-02", knownvalue.StringExact("compshareImage-sh2")),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identitySupported,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("compshare_custom_image.adopted", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("compshare_custom_image.elsewhere", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: checks,
			},
			{
				Config:            config,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: checks,
				Check: func(*terraform.State) error {
					if n := len(srv.Images()); n != 2 {
						return fmt.Errorf("%d images on the platform, want the 2 adopted, none built", n)
					}
					return nil
				},
			},
		},
	})
}

// The wait has its identity from create on, and a finished build is adopted
// by an import block with its identity.
func TestAccImageWait_identity(t *testing.T) {
	const id = "compshareImage-ready"
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{{ID: id, Start: time.Now().Add(-time.Hour), Total: time.Minute}}})
	const address = "compshare_image_wait.gpu"
	checks := []statecheck.StateCheck{
		expectImageIdentity(address, settings.DefaultRegion, settings.DefaultZone, knownvalue.StringExact(id)),
		statecheck.ExpectIdentityValueMatchesStateAtPath(address, tfjsonpath.New("image_id"), tfjsonpath.New("image_id")),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identitySupported,
		Steps: []resource.TestStep{
			{Config: waitConfig(providerConfig(srv.URL()), id, ""), ConfigStateChecks: checks},
			{ // refreshed, unchanged
				Config:            waitConfig(providerConfig(srv.URL()), id, ""),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: checks,
			},
			{
				ResourceName:    address,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(address, plancheck.ResourceActionNoop)},
				},
			},
			{
				// Only image_id: the provider's region and zone.
				Config: providerConfig(srv.URL()) + tfcli.HCL(`
import {
  to       = compshare_image_wait.adopted
  identity = { image_id = {{hcl .}} }
}

resource "compshare_image_wait" "adopted" {
  image_id = {{hcl .}}
}
`, id),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("compshare_image_wait.adopted", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectImageIdentity("compshare_image_wait.adopted", settings.DefaultRegion, settings.DefaultZone, knownvalue.StringExact(id)),
				},
			},
		},
	})
}

// A new image needs uhost_id; an adopted one may leave it unset, until a
// replacement would need it.
func TestAccCustomImage_uhostIDNeededToBuild(t *testing.T) {
	srv := startImageEmulator(t, time.Second)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL()) + `
resource "compshare_custom_image" "main" {
  name = "no-instance"
}
`,
			ExpectError: errorMatching(`Missing uhost_id .* Building an image needs uhost_id`),
		}},
	})
	if n := len(srv.Images()); n != 0 {
		t.Errorf("%d images built without uhost_id", n)
	}
}

// An identity that names no image id, or a zone outside the region, is
// refused before any API call, naming what is wrong.
func TestAccImport_invalidIdentity(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	importConfig := func(identity map[string]string) string {
		return providerConfig(srv.URL()) + tfcli.HCL(`
import {
  to       = compshare_image_wait.gpu
  identity = {{hcl .}}
}

resource "compshare_image_wait" "gpu" {
  image_id = "compshareImage-x"
}
`, identity)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identitySupported,
		Steps: []resource.TestStep{
			{
				Config:      importConfig(map[string]string{"image_id": "compshare image"}),
				ExpectError: errorMatching(`Invalid import identity .* image_id "compshare image" is not an image id`),
			},
			{
				Config:      importConfig(map[string]string{"region": "cn-sh2", "image_id": "compshareImage-x"}),
				ExpectError: errorMatching(`Zone not in region .* compshareImage-x: zone "cn-wlcb-01" is not in region "cn-sh2"`),
			},
		},
	})
	if n := srv.RequestCount(); n != 0 {
		t.Errorf("%d API requests, want none for refused identities", n)
	}
}
