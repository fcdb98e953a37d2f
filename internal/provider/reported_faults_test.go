package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// Faults that users of cloud waiters have reported, each replayed with the
// smallest input that showed it.

const finishedImage = "compshareImage-done"

func finished() emulator.Image {
	return emulator.Image{ID: finishedImage, Start: time.Now().Add(-time.Hour), Total: time.Minute}
}

const finishedProgressConfig = `
data "compshare_image_progress" "done" {
  image_id = "compshareImage-done"
}
`

// The API answers "Process": 100.00000000000001 at the end: that is 100.
func TestAccReportedFaults_floatNoiseAtTheBound(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{finished()}, FaultEvery: 1, Fault: emulator.FaultProcessNoise})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: waitConfig(providerConfig(srv.URL()), finishedImage, "") + finishedProgressConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.compshare_image_progress.done", tfjsonpath.New("progress"), knownvalue.Float64Exact(100)),
				statecheck.ExpectKnownValue("data.compshare_image_progress.done", tfjsonpath.New("completed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("progress"), knownvalue.Float64Exact(100)),
			},
		}},
	})
}

// A proxy answers a 200 KB HTML maintenance page with HTTP 200 three times:
// a wait rides it out; a data source, which must produce values, fails with
// a short excerpt.
func TestAccReportedFaults_htmlPageWithStatus200(t *testing.T) {
	const id = "compshareImage-behind-proxy"
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{finished()}})
	var done time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					startBuild(srv, id, 3*time.Second, &done)
					srv.SetFaultBurst(3, emulator.FaultHTML200)
				},
				Config: waitConfig(providerConfig(srv.URL()), id, `timeouts = { create = "1m" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed_at"), afterDone(&done)),
				},
			},
			{
				PreConfig:   func() { srv.SetFaultBurst(3, emulator.FaultHTML200) },
				Config:      providerConfig(srv.URL(), "max_retries = 0") + finishedProgressConfig,
				ExpectError: errorMatching(`the answer could not be read: .{0,300}\.\.\.`),
			},
		},
	})
}

// A 429 with Retry-After: 3 is followed by a pause of 3 s, not 0.15 s.
func TestAccReportedFaults_retryAfterHonoured(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{finished()}, RetryAfter: 3 * time.Second})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { srv.SetFaultBurst(1, emulator.FaultHTTP429) },
			Config:    providerConfig(srv.URL()) + finishedProgressConfig,
			Check: func(*terraform.State) error {
				requests := srv.Requests()
				for i, r := range requests[:len(requests)-1] {
					if r.Fault != emulator.FaultHTTP429 {
						continue
					}
					if gap := requests[i+1].Time.Sub(r.Time); gap < 3*time.Second {
						return fmt.Errorf("the request after a 429 with Retry-After: 3 came %v later", gap)
					}
					return nil
				}
				return fmt.Errorf("no 429 was answered: the case proves nothing")
			},
		}},
	})
}

// A 429 storm longer than max_retries at the plan that apply makes does not
// fail the wait: the plan warns and the wait rides the storm out. A data
// source still fails: it must produce values.
func TestAccReportedFaults_throttledPlanDoesNotBlockTheWait(t *testing.T) {
	const id = "compshareImage-throttled"
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{finished()}})
	var done time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					startBuild(srv, id, 4*time.Second, &done)
					srv.SetFaultBurst(4, emulator.FaultHTTP429)
				},
				Config: waitConfig(providerConfig(srv.URL()), id, `timeouts = { create = "1m" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed_at"), afterDone(&done)),
				},
			},
			{
				PreConfig:   func() { srv.SetFaultBurst(4, emulator.FaultHTTP429) },
				Config:      providerConfig(srv.URL()) + finishedProgressConfig,
				ExpectError: errorMatching(`compshareImage-done.*HTTP 429`),
			},
		},
	})
}

// region = "cn-sh2" with the provider's default zone cn-wlcb-01 is refused
// before any request, naming zone; it is no "image not found".
func TestAccReportedFaults_zoneOutsideTheRegion(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{finished()}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      waitConfig(providerConfig(srv.URL()), finishedImage, `region = "cn-sh2"`),
				PlanOnly:    true,
				ExpectError: errorMatching(`Zone not in region.*provider's zone "cn-wlcb-01" is not in the region "cn-sh2".*Set zone`),
			},
			{
				Config: providerConfig(srv.URL()) + `
data "compshare_image_progress" "x" {
  image_id = "compshareImage-done"
  region   = "cn-sh2"
  zone     = "cn-wlcb-01"
}`,
				PlanOnly:    true,
				ExpectError: errorMatching(`Zone not in region.*zone "cn-wlcb-01" is not in the region "cn-sh2"`),
			},
			{
				Config:      providerConfig(srv.URL(), `region = "cn-sh2"`) + finishedProgressConfig,
				PlanOnly:    true,
				ExpectError: errorMatching(`Zone not in region.*provider's zone "cn-wlcb-01" \(the default\) is not in its region "cn-sh2"`),
			},
			{
				// Both in the provider block: refused at validate, on zone.
				Config:      providerConfig(srv.URL(), `region = "cn-sh2"`, `zone = "cn-wlcb-01"`) + finishedProgressConfig,
				PlanOnly:    true,
				ExpectError: errorMatching(`Zone not in region.*The zone "cn-wlcb-01" is not in the region "cn-sh2"`),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := srv.RequestCount(); n != 0 {
				return fmt.Errorf("%d requests reached the API", n)
			}
			return nil
		},
	})
}

// A base_url that answers 301 (a proxy sending http to https, or to another
// path): followed, the POST became a bodiless GET and the error blamed the
// keys (RetCode 171). The error says that base_url redirects, where, and
// what to set instead; the API is not asked through the redirect.
func TestAccReportedFaults_baseURLRedirects(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{finished()}})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL()+"/", http.StatusMovedPermanently)
	}))
	t.Cleanup(proxy.Close)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:   providerConfig(proxy.URL) + finishedProgressConfig,
			PlanOnly: true,
			ExpectError: errorMatching(`The Compshare base_url redirects.*HTTP 301: the base URL redirects to ` +
				regexp.QuoteMeta(srv.URL()) + `/ \(Location\).*Set the provider's base_url \(or COMPSHARE_BASE_URL\) to the address it redirects to, ` +
				regexp.QuoteMeta(srv.URL()) + `/,`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if n := srv.RequestCount(); n != 0 {
				return fmt.Errorf("%d requests followed the redirect to the API", n)
			}
			return nil
		},
	})
}

// An image id known only at apply, of an image just created, is unknown to
// the API for its first answers: the wait retries, and ends once it is built.
func TestAccReportedFaults_justCreatedImageBrieflyUnknown(t *testing.T) {
	const id = "compshareImage-new"
	srv := startEmulator(t, emulator.Config{})
	var done time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				srv.SetImage(emulator.Image{ID: id, Start: time.Now(), Total: 4 * time.Second, UnknownAnswers: 2})
				done, _ = srv.CompletedAt(id)
			},
			Config: providerConfig(srv.URL()) + tfcli.HCL(`
resource "terraform_data" "source" {
  input = {{hcl .}}
}

resource "compshare_image_wait" "gpu" {
  image_id = terraform_data.source.output # known only at apply
  timeouts = { create = "1m" }
}
`, id),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed_at"), afterDone(&done)),
			},
			Check: func(*terraform.State) error {
				if countRequests(srv, func(r emulator.Request) bool {
					return r.Action == compshare.ActionImageProgress && r.RetCode == compshare.RetCodeNotAvailable
				}) == 0 {
					return fmt.Errorf("the image was never unknown: the case proves nothing")
				}
				return nil
			},
		}},
	})
}
