package provider

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tfconfig "github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// writeOnlySupported skips CLIs without write-only attributes (1.11).
var writeOnlySupported = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)}

const (
	instanceAddress = "compshare_instance.main"
	baseImage       = "compshareImage-base"
	testPassword    = "Tr41n/er+Pass="
)

// startFleet runs the emulator with an Available image, a source instance
// for builds, and instances that take a moment to start and change.
func startFleet(t *testing.T, fleet emulator.Fleet) *emulator.Server {
	t.Helper()
	if fleet.Initialize == 0 {
		fleet.Initialize = 2 * time.Second
	}
	if fleet.Transition == 0 {
		fleet.Transition = time.Second
	}
	return startEmulator(t, emulator.Config{
		Images:    []emulator.Image{{ID: baseImage, Name: "base"}},
		Instances: []emulator.Instance{{ID: testInstance, Name: "gpu", GpuType: "4090", GPU: 1}},
		NewBuild:  emulator.Image{Total: 3 * time.Second, UnknownAnswers: 2},
		Fleet:     fleet,
	})
}

// instance is the tests' compshare_instance "main": a field left zero takes
// the value its comment shows.
type instance struct {
	ImageID    any    // an image id, or a tfcli.Ref to one; baseImage
	Name       string // "trainer"
	GpuType    string // "4090"
	GPU        int    // 1
	CPU        int    // 16
	MemoryMB   int    // 65536
	ChargeType string // "Dynamic"
	Extra      string // more attributes, as HCL
}

// instanceConfig is, under the provider block given, the instance inst.
func instanceConfig(provider string, inst instance) string {
	if inst.ImageID == nil {
		inst.ImageID = baseImage
	}
	inst.Name = cmp.Or(inst.Name, "trainer")
	inst.GpuType = cmp.Or(inst.GpuType, "4090")
	inst.GPU = cmp.Or(inst.GPU, 1)
	inst.CPU = cmp.Or(inst.CPU, 16)
	inst.MemoryMB = cmp.Or(inst.MemoryMB, 65536)
	inst.ChargeType = cmp.Or(inst.ChargeType, "Dynamic")
	return provider + tfcli.HCL(`
resource "compshare_instance" "main" {
  image_id    = {{hcl .ImageID}}
  name        = {{hcl .Name}}
  gpu_type    = {{hcl .GpuType}}
  gpu         = {{hcl .GPU}}
  cpu         = {{hcl .CPU}}
  memory_mb   = {{hcl .MemoryMB}}
  charge_type = {{hcl .ChargeType}}
  {{.Extra}}
}
`, inst)
}

// platformInstances are the instances the emulator holds besides the source instance.
func platformInstances(srv *emulator.Server) []emulator.Instance {
	var out []emulator.Instance
	for _, inst := range srv.Instances() {
		if inst.ID != testInstance {
			out = append(out, inst)
		}
	}
	return out
}

// onePlatformInstance checks that the platform holds exactly the instance in state.
func onePlatformInstance(srv *emulator.Server, check func(emulator.Instance) error) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id := s.RootModule().Resources[instanceAddress].Primary.ID
		insts := platformInstances(srv)
		if len(insts) != 1 || insts[0].ID != id {
			return fmt.Errorf("the platform holds %+v; state records %s", insts, id)
		}
		if check != nil {
			return check(insts[0])
		}
		return nil
	}
}

func requestsOf(srv *emulator.Server, action string) []emulator.Request {
	var out []emulator.Request
	for _, r := range srv.Requests() {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

// The image is built and the instance created from it in one apply: the
// create request comes only once the image is Available. The password is
// set at creation and is in no state, plan or log (TRACE), plain or base64.
func TestAccInstance_fromBuiltImageWithPassword(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	logFile := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	encoded := base64.StdEncoding.EncodeToString([]byte(testPassword))
	config := imageConfig(providerConfig(srv.URL()), "env-for-instance", "") + instanceConfig("", instance{ImageID: tfcli.Ref("compshare_custom_image.main.id"), Extra: `
  boot_disk_type      = "CLOUD_SSD"
  boot_disk_size_gb   = 100
  password_wo         = var.password
  password_wo_version = 1
`}) + `
variable "password" {
  type      = string
  sensitive = true
  ephemeral = true
}
`
	noPassword := func(s *terraform.State) error {
		for _, secret := range []string{testPassword, encoded} {
			if strings.Contains(s.String(), secret) {
				return errors.New("the state holds the password")
			}
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   writeOnlySupported,
		Steps: []resource.TestStep{{
			// The password comes as users give it: an ephemeral variable.
			Config:          config,
			ConfigVariables: tfconfig.Variables{"password": tfconfig.StringVariable(testPassword)},
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(instanceAddress, plancheck.ResourceActionCreate),
				plancheck.ExpectKnownValue(instanceAddress, tfjsonpath.New("password_wo"), knownvalue.Null()),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(instanceAddress, tfjsonpath.New("state"), knownvalue.StringExact(compshare.StateRunning)),
				statecheck.ExpectKnownValue(instanceAddress, tfjsonpath.New("password_wo"), knownvalue.Null()),
				statecheck.ExpectKnownValue(instanceAddress, tfjsonpath.New("ips"), knownvalue.ListSizeExact(1)),
				statecheck.ExpectKnownValue(instanceAddress, tfjsonpath.New("boot_disk_size_gb"), knownvalue.Int64Exact(100)),
				expectInstanceIdentity(instanceAddress),
			},
			Check: resource.ComposeTestCheckFunc(noPassword, onePlatformInstance(srv, func(inst emulator.Instance) error {
				if inst.Password != encoded {
					return fmt.Errorf("the platform holds password %q, want the configured one base64", inst.Password)
				}
				creates := requestsOf(srv, compshare.ActionCreateInstance)
				imageID := ""
				for _, img := range srv.Images() {
					if img.Name == "env-for-instance" {
						imageID = img.ID
					}
				}
				usable, ok := srv.UsableAt(imageID)
				if len(creates) != 1 || !ok || creates[0].Time.Before(usable) {
					return fmt.Errorf("%d creates, the first at %v; the image usable at %v (%t)", len(creates), creates[0].Time, usable, ok)
				}
				return nil
			})),
		}},
	})
	log, err := os.ReadFile(logFile)
	if err != nil || len(log) == 0 {
		t.Fatalf("no TRACE log to search (%v)", err)
	}
	for _, secret := range []string{testPassword, encoded} {
		for line := range strings.Lines(string(log)) {
			if strings.Contains(line, secret) {
				shown := strings.ReplaceAll(line, secret, "<PASSWORD>")
				t.Errorf("the TRACE log holds the password: %.400s", shown)
			}
		}
	}
}

// expectInstanceIdentity checks the identity of the instance at address.
func expectInstanceIdentity(address string) statecheck.StateCheck {
	return statecheck.ExpectIdentity(address, map[string]knownvalue.Check{
		"region": knownvalue.StringExact(settings.DefaultRegion), "zone": knownvalue.StringExact(settings.DefaultZone),
		"uhost_id": knownvalue.StringRegexp(regexp.MustCompile(`^uhost-`)),
	})
}

// A changed password_wo_version resets the password in place.
func TestAccInstance_passwordReset(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	withPassword := func(password string, version int) string {
		return instanceConfig(providerConfig(srv.URL()), instance{Extra: tfcli.HCL(`password_wo = {{hcl .Password}}
  password_wo_version = {{hcl .Version}}`, map[string]any{"Password": password, "Version": version})})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   writeOnlySupported,
		Steps: []resource.TestStep{
			{Config: withPassword("first-Pass1", 1)},
			{ // a new password alone does nothing: the version says when
				Config:           withPassword("second-Pass2", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config: withPassword("second-Pass2", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(instanceAddress, plancheck.ResourceActionUpdate),
				}},
				Check: onePlatformInstance(srv, func(inst emulator.Instance) error {
					if want := base64.StdEncoding.EncodeToString([]byte("second-Pass2")); inst.Password != want {
						return fmt.Errorf("password %q, want %q", inst.Password, want)
					}
					return nil
				}),
			},
		},
	})
}

// The answer to the create is lost after the platform created the
// instance: it is found by its name; no second instance is created.
func TestAccInstance_lostCreateAnswer(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{UnknownFor: 3 * time.Second})
	srv.LoseAnswers(compshare.ActionCreateInstance, 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: instanceConfig(providerConfig(srv.URL()), instance{}),
			Check: resource.ComposeTestCheckFunc(onePlatformInstance(srv, nil), func(*terraform.State) error {
				if n := len(requestsOf(srv, compshare.ActionCreateInstance)); n != 1 {
					return fmt.Errorf("%d create requests, want 1", n)
				}
				return nil
			}),
		}},
	})
}

// Sold out: a fast, clear error naming the GPU type and zone; one request,
// nothing created, nothing in state.
func TestAccInstance_soldOut(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{Stock: map[string]int{settings.DefaultZone + "/4090": 0}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      instanceConfig(providerConfig(srv.URL()), instance{}),
			ExpectError: errorMatching(`GPU type 4090 is sold out in zone ` + settings.DefaultZone + `(.|\n)*226604(.|\n)*Nothing was created(.|\n)*another zone`),
		}},
		CheckDestroy: func(s *terraform.State) error {
			if _, ok := s.RootModule().Resources[instanceAddress]; ok {
				return errors.New("the state holds the instance")
			}
			return nil
		},
	})
	if insts := platformInstances(srv); len(insts) != 0 {
		t.Errorf("the platform holds %+v", insts)
	}
	if n := len(requestsOf(srv, compshare.ActionCreateInstance)); n != 1 {
		t.Errorf("%d create requests, want 1 (not retried)", n)
	}
}

// An instance that already has the name (such as one an earlier apply
// created without learning its id, its answer lost) is never joined by a
// second one: the create is refused, naming it, before anything is sent.
func TestAccInstance_nameTakenIsRefused(t *testing.T) {
	srv := startEmulator(t, emulator.Config{
		Images: []emulator.Image{{ID: baseImage, Name: "base"}},
		Instances: []emulator.Instance{
			{ID: testInstance, Name: "gpu", GpuType: "4090", GPU: 1},
			{ID: "uhost-orphan", Name: "trainer", GpuType: "4090", GPU: 1},
		},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      instanceConfig(providerConfig(srv.URL()), instance{}),
			ExpectError: errorMatching(`Instance name already in use(.|\n)*"trainer"(.|\n)*uhost-orphan(.|\n)*Nothing was created`),
		}},
	})
	if n := len(requestsOf(srv, compshare.ActionCreateInstance)); n != 0 {
		t.Errorf("%d create requests, want none", n)
	}
}

// Quota and an image that is not Available (known at plan) are refused
// with what to do; the image at plan, before anything is created.
func TestAccInstance_quotaAndImageNotAvailable(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{Quota: 1}) // the source instance counts
	srv.SetImage(emulator.Image{ID: "compshareImage-making", Name: "making", Total: time.Hour})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      instanceConfig(providerConfig(srv.URL()), instance{ImageID: "compshareImage-making"}),
				PlanOnly:    true,
				ExpectError: errorMatching(`Image not Available(.|\n)*compshareImage-making(.|\n)*Making`),
			},
			{
				Config:      instanceConfig(providerConfig(srv.URL()), instance{}),
				ExpectError: errorMatching(`Instance quota reached`),
			},
		},
	})
	if insts := platformInstances(srv); len(insts) != 0 {
		t.Errorf("the platform holds %+v", insts)
	}
}

// Install Fail: an error with the state word; the instance is recorded,
// tainted, and the next apply replaces it.
func TestAccInstance_installFailTainted(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{InstallFail: true})
	config := instanceConfig(providerConfig(srv.URL()), instance{})
	var failed string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, ExpectError: errorMatching(`Install Fail(.|\n)*tainted`)},
			{
				PreConfig: func() {
					insts := platformInstances(srv)
					if len(insts) == 1 {
						failed = insts[0].ID
					}
					srv.SetFleet(emulator.Fleet{Initialize: time.Second, Transition: time.Second})
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(instanceAddress, plancheck.ResourceActionReplace),
				}},
				Check: onePlatformInstance(srv, func(inst emulator.Instance) error {
					if failed == "" || inst.ID == failed || inst.State != compshare.StateRunning {
						return fmt.Errorf("failed instance %q, now %+v", failed, inst)
					}
					return nil
				}),
			},
		},
	})
}

// Stop and start in place (running), a resize in place by stop, resize,
// start, and a Spot instance stopped with Force.
func TestAccInstance_powerAndResize(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	config := func(cpu int, extra string) string {
		return instanceConfig(providerConfig(srv.URL()), instance{CPU: cpu, Extra: extra})
	}
	platformState := func(state string, cpu int) resource.TestCheckFunc {
		return onePlatformInstance(srv, func(inst emulator.Instance) error {
			if inst.State != state || inst.CPU != cpu {
				return fmt.Errorf("instance %s is %s with %d CPUs, want %s with %d", inst.ID, inst.State, inst.CPU, state, cpu)
			}
			return nil
		})
	}
	inPlace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(instanceAddress, plancheck.ResourceActionUpdate)}}
	starts := 0
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config(16, ""), Check: platformState(compshare.StateRunning, 16)},
			{Config: config(16, "running = false"), ConfigPlanChecks: inPlace, Check: platformState(compshare.StateStopped, 16)},
			// A stopped instance is resized and stays stopped.
			{Config: config(32, "running = false"), ConfigPlanChecks: inPlace, Check: platformState(compshare.StateStopped, 32)},
			{Config: config(32, "running = true"), ConfigPlanChecks: inPlace, Check: platformState(compshare.StateRunning, 32)},
			// Resized and stopped at once: stopped first, never started again.
			{
				PreConfig: func() { starts = len(requestsOf(srv, "StartCompShareInstance")) },
				Config:    config(16, "running = false"), ConfigPlanChecks: inPlace,
				Check: resource.ComposeTestCheckFunc(platformState(compshare.StateStopped, 16), func(*terraform.State) error {
					if n := len(requestsOf(srv, "StartCompShareInstance")); n != starts {
						return fmt.Errorf("%d starts during a change to running = false", n-starts)
					}
					return nil
				}),
			},
		},
	})
}

// A running instance is resized in place: stopped, resized, started again.
func TestAccInstance_resizeRunning(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	resized := instanceConfig(providerConfig(srv.URL()), instance{CPU: 32})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: instanceConfig(providerConfig(srv.URL()), instance{})},
			{
				Config: resized,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(instanceAddress, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(instanceAddress, tfjsonpath.New("cpu"), knownvalue.Int64Exact(32)),
					statecheck.ExpectKnownValue(instanceAddress, tfjsonpath.New("state"), knownvalue.StringExact(compshare.StateRunning)),
				},
				Check: onePlatformInstance(srv, func(inst emulator.Instance) error {
					if inst.CPU != 32 || inst.State != compshare.StateRunning || len(requestsOf(srv, "ResizeCompShareInstance")) == 0 {
						return fmt.Errorf("instance %+v", inst)
					}
					return nil
				}),
			},
		},
	})
}

// A Spot instance needs a forced stop: running = false, and destroy.
func TestAccInstance_spotStopsWithForce(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	spot := func(extra string) string {
		return instanceConfig(providerConfig(srv.URL()), instance{ChargeType: "Spot", Extra: extra})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: spot("")},
			{Config: spot("running = false"), Check: onePlatformInstance(srv, func(inst emulator.Instance) error {
				if inst.State != compshare.StateStopped {
					return fmt.Errorf("state %s", inst.State)
				}
				return nil
			})},
			{Config: spot("")},
		},
		CheckDestroy: func(*terraform.State) error {
			if insts := platformInstances(srv); len(insts) != 0 {
				return fmt.Errorf("the platform holds %+v after destroy", insts)
			}
			return nil
		},
	})
}

// The operation lock, held by another operation, is ridden out within the
// timeouts: the change waits and succeeds.
func TestAccInstance_lockRiddenOut(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	config := func(name, running string) string {
		return instanceConfig(providerConfig(srv.URL()), instance{Name: name, Extra: running})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("trainer", "running = false")},
			{
				PreConfig: func() {
					for _, inst := range platformInstances(srv) {
						srv.HoldLock(inst.ID, 4*time.Second)
					}
				},
				Config: config("trainer-2", "running = true"),
				Check: resource.ComposeTestCheckFunc(onePlatformInstance(srv, func(inst emulator.Instance) error {
					if inst.Name != "trainer-2" || inst.State != compshare.StateRunning {
						return fmt.Errorf("instance %+v", inst)
					}
					return nil
				}), func(*terraform.State) error {
					if countRequests(srv, func(r emulator.Request) bool { return r.RetCode == compshare.RetCodeInstanceBusy }) == 0 {
						return errors.New("no change met the lock: the case proves nothing")
					}
					return nil
				}),
			},
		},
	})
}

// Refresh drops an instance terminated outside Terraform; the next apply
// creates it again.
func TestAccInstance_terminatedOutsideTerraform(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	config := instanceConfig(providerConfig(srv.URL()), instance{Extra: "running = false"})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					c, err := compshare.New(compshare.Config{PublicKey: testPublicKey, PrivateKey: testPrivateKey, BaseURL: srv.URL()})
					if err != nil {
						t.Fatal(err)
					}
					for _, inst := range platformInstances(srv) {
						if err := c.TerminateInstance(t.Context(), settings.DefaultRegion, settings.DefaultZone, inst.ID); err != nil {
							t.Fatal(err)
						}
					}
				},
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(instanceAddress, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

// Import by id and by identity: no change afterwards.
func TestAccInstance_import(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{})
	config := instanceConfig(providerConfig(srv.URL()), instance{Extra: `
  boot_disk_type    = "CLOUD_SSD"
  boot_disk_size_gb = 80
`})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identitySupported,
		Steps: []resource.TestStep{
			{Config: config},
			{
				Config: config, ResourceName: instanceAddress, ImportState: true, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: config, ResourceName: instanceAddress, ImportState: true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				Config: config, ResourceName: instanceAddress, ImportState: true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}

// What the API would refuse is refused by validate, naming the attribute.
func TestAccInstance_validate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		instance instance
		want     string
	}{
		{"memory not a multiple of 1024", instance{ChargeType: "Spot", MemoryMB: 65000}, `memory_mb value must be a multiple of 1024, got: 65000 \(such as 65536\)`},
		{"too many GPUs for an H20", instance{ChargeType: "Spot", GpuType: "H20", GPU: 9}, `GPU type H20 has 1 to 8 GPUs`},
		{"no Spot for an A800", instance{ChargeType: "Spot", GpuType: "A800"}, `GPU type A800 is not offered as Spot`},
		{"unknown charge type", instance{ChargeType: "Year"}, `charge_type value must be one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config := instanceConfig(providerConfig("http://127.0.0.1:1"), tc.instance)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps:                    []resource.TestStep{{Config: config, PlanOnly: true, ExpectError: errorMatching(tc.want)}},
			})
		})
	}
}

// The gateway throttles (RetCode 153) the first create and the first stop:
// both are retried (a throttled request was not carried out), and one
// instance results.
func TestAccInstance_throttled(t *testing.T) {
	throttled := map[string]bool{}
	var mu sync.Mutex
	srv, url := interceptedEmulator(t, emulator.Config{
		Images: []emulator.Image{{ID: baseImage, Name: "base"}},
		Fleet:  emulator.Fleet{Initialize: time.Second, Transition: time.Second},
	}, func(action string, w http.ResponseWriter, _ *http.Request, _ http.Handler) bool {
		mu.Lock()
		defer mu.Unlock()
		if (action != compshare.ActionCreateInstance && action != compshare.ActionStopInstance) || throttled[action] {
			return false
		}
		throttled[action] = true
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Action":"` + action + `Response","RetCode":153,"Message":"request throttled"}`))
		return true
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: instanceConfig(providerConfig(url), instance{Extra: "running = false"}),
			Check: resource.ComposeTestCheckFunc(onePlatformInstance(srv, func(inst emulator.Instance) error {
				mu.Lock()
				defer mu.Unlock()
				if !throttled[compshare.ActionCreateInstance] || !throttled[compshare.ActionStopInstance] || inst.State != compshare.StateStopped {
					return fmt.Errorf("throttled %v; instance %+v", throttled, inst)
				}
				return nil
			})),
		}},
	})
}

// A platform image is not in the custom image list: the plan lets it
// through, and the instance starts from it.
func TestAccInstance_platformImage(t *testing.T) {
	const platform = "compshareImage-platform-ubuntu"
	srv := startFleet(t, emulator.Fleet{PlatformImages: []string{platform}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: instanceConfig(providerConfig(srv.URL()), instance{ImageID: platform}),
			Check: onePlatformInstance(srv, func(inst emulator.Instance) error {
				if inst.ImageID != platform || inst.State != compshare.StateRunning {
					return fmt.Errorf("instance %+v", inst)
				}
				return nil
			}),
		}},
	})
}

// More GPUs than are free: the resize is refused, the instance runs again
// with its GPUs, and the error says so.
func TestAccInstance_resizeSoldOut(t *testing.T) {
	srv := startFleet(t, emulator.Fleet{Stock: map[string]int{settings.DefaultZone + "/4090": 1}})
	config := instanceConfig(providerConfig(srv.URL()), instance{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				Config:      instanceConfig(providerConfig(srv.URL()), instance{GPU: 2}),
				ExpectError: errorMatching(`Not enough GPUs free for instance uhost-(.|\n)*226604(.|\n)*runs again if it ran`),
			},
			{ // state and platform as before the refused resize
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: onePlatformInstance(srv, func(inst emulator.Instance) error {
					if inst.GPU != 1 || inst.State != compshare.StateRunning {
						return fmt.Errorf("instance %+v", inst)
					}
					return nil
				}),
			},
		},
	})
}
