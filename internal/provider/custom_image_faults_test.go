package provider

// Faults of compshare_custom_image and the wait it uses, found by attacking
// them with bad input and odd API answers: each test states what is expected.

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// The platform starts the build but the answer to CreateCompShareCustomImage
// is lost on the way (a gateway times out). The build must not be left
// unknown to Terraform, where its name and its instance's one build slot
// would block every later apply: it is found by its name, recorded and waited
// for, and the platform holds one image, the one in state.
func TestAccCustomImageFaults_createAnswerLostFindsTheBuild(t *testing.T) {
	var lost atomic.Bool
	lost.Store(true)
	srv, url := interceptedEmulator(t, emulator.Config{
		Instances: []emulator.Instance{{ID: testInstance, Name: "gpu", GpuType: "4090", GPU: 1}},
		NewBuild:  emulator.Image{Total: 3 * time.Second},
	}, func(action string, w http.ResponseWriter, r *http.Request, emu http.Handler) bool {
		if action != compshare.ActionCreateImage || !lost.Load() {
			return false
		}
		lost.Store(false)
		emu.ServeHTTP(httptest.NewRecorder(), r) // the platform starts the build...
		w.WriteHeader(http.StatusGatewayTimeout) // ...and the answer is lost
		_, _ = w.Write([]byte(`{"RetCode":504,"Message":"Gateway Timeout"}`))
		return true
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: imageConfig(providerConfig(url), "env", ""),
				Check: func(s *terraform.State) error {
					if lost.Load() {
						return errors.New("no answer was lost: the case proves nothing")
					}
					id := s.RootModule().Resources["compshare_custom_image.main"].Primary.ID
					if images := srv.Images(); len(images) != 1 || images[0].ID != id {
						return fmt.Errorf("the platform holds %d images (%+v), state records %s", len(images), images, id)
					}
					return nil
				},
			},
		},
	})
}

// An image of a container instance whose progress the API refuses (the API
// notes: container images are reported to be refused by the progress action;
// their state is read from DescribeCompShareCustomImages only). Expected:
// apply ends once the list shows the image Available.
func TestAccCustomImageFaults_containerBuildWithProgressRefused(t *testing.T) {
	_, url := interceptedEmulator(t, emulator.Config{
		Instances: []emulator.Instance{{ID: testInstance, Name: "gpu", GpuType: "4090", GPU: 1, Container: true}},
		NewBuild:  emulator.Image{Total: 3 * time.Second},
	}, func(action string, w http.ResponseWriter, _ *http.Request, _ http.Handler) bool {
		if action != compshare.ActionImageProgress {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Action":"GetCompShareImageCreateProgressResponse","RetCode":297,"Message":"container image does not support progress query"}`))
		return true
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: imageConfig(providerConfig(url), "env", `timeouts = { create = "40s" }`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
				statecheck.ExpectKnownValue("terraform_data.uses_image", tfjsonpath.New("output").AtMapKey("status"), knownvalue.StringExact("Available")),
			},
		}},
	})
}

// The list shows the image Available while the progress action still reads
// well below 100 (a stale or slow progress). The API notes: an image is
// usable once it is Available. Expected: apply ends soon after the image is
// listed Available.
func TestAccCustomImageFaults_availableEndsTheWait(t *testing.T) {
	srv := startImageEmulator(t, time.Second)
	srv.SetNewBuild(emulator.Image{Total: 2 * time.Minute, Status: emulator.StatusAvailable})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: imageConfig(providerConfig(srv.URL()), "env", `timeouts = { create = "20s" }`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("compshare_custom_image.main", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
			},
		}},
	})
}

// A build kept in state while Making (here: imported) is waited for in
// Update; that wait times out. Terraform does not taint a resource whose
// Update fails, so the next apply waits again (an update). Expected: the
// error says so.
func TestAccCustomImageFaults_timedOutUpdateDoesNotClaimTaint(t *testing.T) {
	srv := startImageEmulator(t, time.Second)
	srv.SetImage(emulator.Image{ID: "compshareImage-slow", Name: "slow", Total: 10 * time.Minute, UHostID: testInstance})
	config := imageConfig(providerConfig(srv.URL()), "slow", `timeouts = { update = "2s" }`)
	var stepErr error
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		ErrorCheck: func(err error) error {
			stepErr = err
			msg := strings.Join(strings.Fields(err.Error()), " ")
			if strings.Contains(msg, "Timed out waiting for image compshareImage-slow") && !strings.Contains(msg, "tainted") {
				return nil // as expected
			}
			return errors.New("want a timeout error that does not claim the image is tainted, got: " + err.Error())
		},
		Steps: []resource.TestStep{
			{
				Config: config, ResourceName: "compshare_custom_image.main",
				ImportState: true, ImportStateId: "compshareImage-slow", ImportStatePersist: true,
			},
			{Config: config},
			{
				Config: config, PlanOnly: true, ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("compshare_custom_image.main", plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
	if stepErr == nil {
		t.Error("the wait in update did not time out: the test proves nothing")
	}
}

// Two images of the configuration share a name: the plan cannot see it
// (neither exists yet), and the second build is refused with RetCode 230
// Params [Name]. Expected: the error says the name is in use, naming the
// image that has it, as the plan's check does ("Image name already in use
// ... Choose another name").
func TestAccCustomImageFaults_nameRefusedAtApplyIsExplained(t *testing.T) {
	srv := startImageEmulator(t, 2*time.Second)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL()) + tfcli.HCL(`
resource "compshare_custom_image" "a" {
  uhost_id = {{hcl .}}
  name     = "same"
}

resource "compshare_custom_image" "b" {
  uhost_id = {{hcl .}}
  name     = "same"
}
`, testInstance),
			ExpectError: errorMatching(`Image name already in use.*"same".*compshareImage-.*Choose another name`),
		}},
	})
}

// uhost_id is an instance id; a bad one must be refused as such.
func TestAccCustomImageFaults_uhostIDValidationNamesAnInstance(t *testing.T) {
	srv := startImageEmulator(t, time.Second)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL()) + `
resource "compshare_custom_image" "main" {
  uhost_id = "uhost 1"
  name     = "env"
}`,
			PlanOnly:    true,
			ExpectError: errorMatching(`uhost_id must be an instance id such as uhost-xxxx`),
		}},
	})
}

// A failed build whose FailedReason echoes the private key (as servers are
// reported to echo it in Message). Expected: redacted in state, like every text
// that comes from the server.
func TestAccCustomImageFaults_failedReasonEchoingTheKeyIsRedacted(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{{
		ID: "compshareImage-bad", Name: "bad", Start: time.Now().Add(-time.Hour), Total: time.Minute,
		Status: emulator.StatusUnAvailable, FailedReason: "signature mismatch for key " + testPrivateKey,
	}}})
	noKey := knownvalue.StringFunc(func(v string) error {
		if strings.Contains(v, testPrivateKey) {
			return fmt.Errorf("the private key reached state: %q", v)
		}
		return nil
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL()) + `
data "compshare_custom_images" "all" {}

data "compshare_custom_image" "bad" {
  id = "compshareImage-bad"
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(0).AtMapKey("failed_reason"), noKey),
				statecheck.ExpectKnownValue("data.compshare_custom_image.bad", tfjsonpath.New("failed_reason"), noKey),
			},
		}},
	})
}

// Create times out while the API does not know the new image yet, and the
// next apply refreshes it at once. Not listed is then no proof that the image
// is gone: it stays in state (tainted), is deleted once the API knows it, and
// the platform ends with one image, the one in state; none is left building
// unknown to Terraform.
func TestAccCustomImageFaults_newImageUnknownAtRefreshIsKept(t *testing.T) {
	srv := startEmulator(t, emulator.Config{
		Instances: []emulator.Instance{{ID: testInstance, Name: "gpu", GpuType: "4090", GPU: 1}},
		NewBuild:  emulator.Image{Total: 2 * time.Second, UnknownFor: 12 * time.Second},
	})
	var firstID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      imageConfig(providerConfig(srv.URL()), "env", `timeouts = { create = "3s" }`),
				ExpectError: errorMatching(`Timed out waiting for image`),
			},
			{
				PreConfig: func() {
					for _, img := range srv.Images() {
						firstID = img.ID
					}
				},
				Config: imageConfig(providerConfig(srv.URL()), "env", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_custom_image.main", plancheck.ResourceActionReplace)},
				},
				Check: func(s *terraform.State) error {
					id := s.RootModule().Resources["compshare_custom_image.main"].Primary.ID
					if images := srv.Images(); firstID == "" || id == firstID || len(images) != 1 || images[0].ID != id {
						return fmt.Errorf("the platform holds %+v; state records %s, the first build was %s", images, id, firstID)
					}
					return nil
				},
			},
		},
	})
}
