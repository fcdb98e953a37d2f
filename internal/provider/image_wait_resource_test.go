package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
)

func TestAccImageWait_gatesDependentUntilComplete(t *testing.T) {
	const id = "compshareImage-gate"
	srv := startEmulator(t, emulator.Config{})
	var done time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { startBuild(srv, id, 6*time.Second, &done) },
			Config:    waitConfig(providerConfig(srv.URL()), id, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("progress"), knownvalue.Float64Exact(100)),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("remaining_duration"), knownvalue.Float64Exact(0)),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("target_progress"), knownvalue.Float64Exact(100)),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("max_poll_interval"), knownvalue.StringExact("30s")),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("region"), knownvalue.StringExact(settings.DefaultRegion)),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed_at"), afterDone(&done)),
				statecheck.ExpectKnownValue("terraform_data.uses_image", tfjsonpath.New("output").AtMapKey("completed_at"), afterDone(&done)),
				statecheck.ExpectKnownValue("terraform_data.uses_image", tfjsonpath.New("output").AtMapKey("image_id"), knownvalue.StringExact(id)),
			},
			// The test framework's follow-up plan proves there is no drift.
		}},
	})
	calls := requestsFor(srv, compshare.ActionImageProgress)
	// Plan, apply's wait and the refreshes of the follow-up plans: a 6-s
	// build must not cost a call per second.
	if calls > 15 {
		t.Errorf("%d progress calls for a 6-s build", calls)
	}
}

func TestAccImageWait_planErrorForUnknownImage(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      waitConfig(providerConfig(srv.URL()), "compshareImage-nosuch", ""),
			PlanOnly:    true,
			ExpectError: errorMatching(`Compshare image not found.*compshareImage-nosuch.*RetCode 230.*request id [0-9a-f-]{8,}`),
		}},
	})
}

func TestAccImageWait_timeoutLeavesNoState(t *testing.T) {
	const id = "compshareImage-slow"
	srv := startEmulator(t, emulator.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				// The build starts with the step: the estimate checked below
				// must not run down while the test waits its turn.
				PreConfig:   func() { srv.SetImage(emulator.Image{ID: id, Start: time.Now(), Total: time.Hour}) },
				Config:      waitConfig(providerConfig(srv.URL()), id, `timeouts = { create = "3s" }`),
				ExpectError: errorMatching(`image compshareImage-slow still at [0-9.]+ % after 3s \(about (5[0-9]m[0-9]+s|1h0m0s) left by the API's estimate\); raise timeouts.create if the build needs longer. Nothing was saved`),
			},
			{
				// Nothing was recorded: once the image is done, apply creates the wait.
				PreConfig: func() { srv.SetImage(emulator.Image{ID: id, Start: time.Now().Add(-time.Hour), Total: time.Hour}) },
				Config:    waitConfig(providerConfig(srv.URL()), id, `timeouts = { create = "3s" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_image_wait.gpu", plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

func TestAccImageWait_failedBuildEndsWithReason(t *testing.T) {
	const id = "compshareImage-broken"
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: id, Start: time.Now(), Total: 4 * time.Second, FailAtPercent: 30, FailedReason: "disk quota exceeded"},
	}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      waitConfig(providerConfig(srv.URL()), id, `timeouts = { create = "2m" }`),
			ExpectError: errorMatching(`Image compshareImage-broken failed to build.*failed at 30 %: disk quota exceeded`),
		}},
	})
}

func TestAccImageWait_triggersReplaceAndImport(t *testing.T) {
	const id = "compshareImage-ready"
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: id, Region: "cn-sh2", Zone: "cn-sh2-02", Start: time.Now().Add(-time.Hour), Total: 10 * time.Minute},
	}})
	located := `region = "cn-sh2"
  zone   = "cn-sh2-02"
  `
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: waitConfig(providerConfig(srv.URL()), id, located+`triggers = { build = "1" }`),
			},
			{
				// Only max_poll_interval changes: updated in place, no new wait.
				Config: waitConfig(providerConfig(srv.URL()), id, located+`triggers = { build = "1" }
  max_poll_interval = "5s"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_image_wait.gpu", plancheck.ResourceActionUpdate)},
				},
			},
			{
				Config: waitConfig(providerConfig(srv.URL()), id, located+`triggers = { build = "2" }
  max_poll_interval = "5s"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_image_wait.gpu", plancheck.ResourceActionDestroyBeforeCreate)},
				},
			},
			{
				ResourceName:            "compshare_image_wait.gpu",
				ImportState:             true,
				ImportStateId:           "cn-sh2/cn-sh2-02/" + id,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"completed_at", "triggers", "max_poll_interval", "timeouts"},
			},
		},
	})
}

func TestAccImageWait_importBareIDUsesProviderLocation(t *testing.T) {
	const id = "compshareImage-ready"
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{{ID: id, Start: time.Now().Add(-time.Hour), Total: time.Minute}}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: waitConfig(providerConfig(srv.URL()), id, "")},
			{
				ResourceName:            "compshare_image_wait.gpu",
				ImportState:             true,
				ImportStateId:           id,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"completed_at"},
			},
			{
				ResourceName:    "compshare_image_wait.gpu",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   id,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_image_wait.gpu", plancheck.ResourceActionNoop)},
				},
			},
		},
	})
}

func TestAccImageWait_importRefusesUnfinishedBuild(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{{ID: "compshareImage-slow", Start: time.Now(), Total: time.Hour}}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:        waitConfig(providerConfig(srv.URL()), "compshareImage-slow", ""),
			ResourceName:  "compshare_image_wait.gpu",
			ImportState:   true,
			ImportStateId: "compshareImage-slow",
			ExpectError:   errorMatching(`Cannot import an unfinished image build.*compshareImage-slow is [0-9.]+ % built`),
		}},
	})
}

func TestAccImageWait_invalidInput(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	for _, tc := range []struct{ name, extra, want string }{
		{"target_progress zero", `target_progress = 0`, `target_progress value must be a percentage greater than 0 and at most 100, got: 0\.`},
		{"target_progress above 100", `target_progress = 100.5`, `target_progress value must be a percentage greater than 0 and at most 100, got: 100.5\.`},
		{"max_poll_interval malformed", `max_poll_interval = "often"`, `max_poll_interval value must be a duration such as 30s or 2m.*got: "often"`},
		{"max_poll_interval too short", `max_poll_interval = "10ms"`, `max_poll_interval value must be a duration.*got: "10ms"`},
		{"timeouts malformed", `timeouts = { create = "forever" }`, `Invalid Attribute Value Time Duration.*"forever" must be a string containing a sequence of decimal numbers`},
		{"region empty", `region = ""`, `region string length must be at least 1`},
		{"zone empty", `zone = ""`, `zone string length must be at least 1`},
		{"timeouts.create zero", `timeouts = { create = "0s" }`, `timeouts.create must be a positive duration such as 30m, got: 0s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config:      waitConfig(providerConfig(srv.URL()), "compshareImage-a", tc.extra),
					PlanOnly:    true,
					ExpectError: errorMatching(tc.want),
				}},
			})
		})
	}
	t.Cleanup(func() {
		if n := srv.RequestCount(); n != 0 {
			t.Errorf("invalid input reached the API: %d requests", n)
		}
	})
}

func TestWaitForecast(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		p       compshare.Progress
		target  float64
		timeout time.Duration
		want    []string
	}{
		{compshare.Progress{Percent: 65.5, TotalSeconds: f(300), RemainingSeconds: f(105)}, 100, time.Hour,
			[]string{"65.5 % built", "until it reaches 100 %", "about 1m45s", "timeouts.create: 1h0m0s"}},
		{compshare.Progress{Percent: 10, TotalSeconds: f(3600), RemainingSeconds: f(3240)}, 100, 30 * time.Minute,
			[]string{"about 54m0s", "longer than timeouts.create (30m0s)"}},
		{compshare.Progress{Percent: 10}, 50, time.Hour,
			[]string{"until it reaches 50 %", "no estimate"}},
	} {
		got := waitForecast(tc.p, tc.target, tc.timeout)
		if n := strings.Count(got, "timeouts.create"); n != 1 {
			t.Errorf("forecast %q names timeouts.create %d times, want once", got, n)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("forecast %q does not say %q", got, w)
			}
		}
	}
}

func TestAccImageWait_invalidImageID(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      waitConfig(providerConfig(srv.URL()), "compshareImage-a b", ""),
			PlanOnly:    true,
			ExpectError: errorMatching(`image_id must be an image id such as compshareImage-xxxx, without whitespace, got: compshareImage-a b`),
		}},
	})
	if n := srv.RequestCount(); n != 0 {
		t.Errorf("an invalid image id reached the API: %d requests", n)
	}
}

// A wait follows the provider's default location: when that changes, or the
// API forgets the image, the recorded wait no longer stands. An image lives
// in one location, as on the API: moved to the new one, the old one's
// refresh drops the wait and the new location gets a wait of its own.
func TestAccImageWait_locationChangesAndForgottenImage(t *testing.T) {
	const id = "compshareImage-anywhere"
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{{ID: id, Start: time.Now().Add(-time.Hour), Total: time.Minute}}})
	inSh2 := waitConfig(providerConfig(srv.URL(), `region = "cn-sh2"`, `zone = "cn-sh2-02"`), id, "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: waitConfig(providerConfig(srv.URL()), id, "")},
			{
				PreConfig: func() {
					srv.SetImage(emulator.Image{ID: id, Region: "cn-sh2", Start: time.Now().Add(-time.Hour), Total: time.Minute})
				},
				Config: inSh2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("compshare_image_wait.gpu", plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("region"), knownvalue.StringExact("cn-sh2")),
				},
			},
			{
				// The API no longer knows the image there: refresh drops the
				// wait, and the plan to create it again fails on the same answer.
				PreConfig: func() {
					srv.SetImage(emulator.Image{ID: id, Region: "cn-wlcb", Start: time.Now().Add(-time.Hour), Total: time.Minute})
				},
				Config:      inSh2,
				ExpectError: errorMatching(`Compshare image not found.*RetCode 230`),
			},
		},
	})
}
