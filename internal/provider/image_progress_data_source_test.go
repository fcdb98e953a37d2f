package provider

import (
	"fmt"
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
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

const progressConfig = `
data "compshare_image_progress" "build" {
  image_id = "compshareImage-half"
}

output "progress" {
  value = data.compshare_image_progress.build.progress
}
`

func TestAccImageProgressDataSource_readAtPlan(t *testing.T) {
	for _, asStrings := range []bool{false, true} {
		t.Run(fmt.Sprintf("durations_as_strings=%v", asStrings), func(t *testing.T) {
			srv := startEmulator(t, emulator.Config{
				DurationsAsStrings: asStrings,
				Images: []emulator.Image{
					{ID: "compshareImage-half", Start: time.Now().Add(-500 * time.Hour), Total: 1000 * time.Hour},
				},
			})
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config: providerConfig(srv.URL()) + progressConfig,
					ConfigPlanChecks: resource.ConfigPlanChecks{
						// A value known in the plan was read at plan time.
						PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownOutputValue("progress", between(49.9, 50.1))},
					},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("id"), knownvalue.StringExact("compshareImage-half")),
						statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("region"), knownvalue.StringExact(settings.DefaultRegion)),
						statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("zone"), knownvalue.StringExact(settings.DefaultZone)),
						statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("progress"), between(49.9, 50.1)),
						statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("total_duration"), knownvalue.Float64Exact(3600000)),
						statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("remaining_duration"), between(1799000, 1800000)),
						statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("completed"), knownvalue.Bool(false)),
					},
				}},
			})
			if srv.RequestCount() == 0 {
				t.Fatal("the emulator saw no request")
			}
		})
	}
}

func TestAccImageProgressDataSource_completedInOtherZone(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: "compshareImage-done", Region: "cn-sh2", Zone: "cn-sh2-02", Start: time.Now().Add(-2 * time.Hour), Total: 10 * time.Minute},
	}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: providerConfig(srv.URL()) + `
data "compshare_image_progress" "done" {
  image_id = "compshareImage-done"
  region   = "cn-sh2"
  zone     = "cn-sh2-02"
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.compshare_image_progress.done", tfjsonpath.New("progress"), knownvalue.Float64Exact(100)),
					statecheck.ExpectKnownValue("data.compshare_image_progress.done", tfjsonpath.New("remaining_duration"), knownvalue.Float64Exact(0)),
					statecheck.ExpectKnownValue("data.compshare_image_progress.done", tfjsonpath.New("total_duration"), knownvalue.Float64Exact(600)),
					statecheck.ExpectKnownValue("data.compshare_image_progress.done", tfjsonpath.New("completed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.compshare_image_progress.done", tfjsonpath.New("region"), knownvalue.StringExact("cn-sh2")),
				},
			},
			{
				// The provider's default region does not hold the image.
				Config: providerConfig(srv.URL()) + `
data "compshare_image_progress" "done" {
  image_id = "compshareImage-done"
}`,
				ExpectError: errorMatching(`Compshare image not found.*RetCode 230`),
			},
		},
	})
}

func TestAccImageProgressDataSource_apiErrors(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: "compshareImage-half", Start: time.Now(), Total: time.Hour},
	}})
	wrongKey := providerBlock{BaseURL: srv.URL(), PublicKey: testPublicKey, PrivateKey: "not-the-key"}.config()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: providerConfig(srv.URL()) + `
data "compshare_image_progress" "missing" {
  image_id = "compshareImage-nosuch"
}`,
				ExpectError: errorMatching(`compshareImage-nosuch.*RetCode 230.*Params \[CompShareImageId\] not available \(request id [0-9a-f-]{8,}\)`),
			},
			{
				Config:      wrongKey + progressConfig,
				ExpectError: errorMatching(`refused the credentials.*RetCode 171.*request id [0-9a-f-]{8,}`),
			},
		},
	})
}

func TestAccImageProgressDataSource_transientFaultsRetried(t *testing.T) {
	srv := startEmulator(t, emulator.Config{
		FaultEvery: 2,
		Fault:      emulator.Fault("http-503"),
		Images:     []emulator.Image{{ID: "compshareImage-half", Start: time.Now().Add(-500 * time.Hour), Total: 1000 * time.Hour}},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL()) + progressConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("progress"), between(49.9, 50.1)),
			},
		}},
	})
	if countRequests(srv, faulted) == 0 {
		t.Fatal("no fault was injected: the test proves nothing")
	}
}

// Environment credentials: not parallel, since it sets the process environment.
func TestAccImageProgressDataSource_environment(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: "compshareImage-half", Region: "cn-sh2", Zone: "cn-sh2-02", Start: time.Now().Add(-500 * time.Hour), Total: 1000 * time.Hour},
	}})
	for _, name := range append(append([]string{}, settings.EnvPublicKey...), settings.EnvPrivateKey...) {
		t.Setenv(name, "")
	}
	t.Setenv("UCLOUD_PUBLIC_KEY", testPublicKey)
	t.Setenv("COMPSHARE_PRIVATE_KEY", testPrivateKey)
	t.Setenv("UCLOUD_PRIVATE_KEY", "loses-to-COMPSHARE_PRIVATE_KEY")
	t.Setenv("COMPSHARE_BASE_URL", srv.URL())
	t.Setenv("UCLOUD_REGION", "cn-sh2")
	t.Setenv("UCLOUD_ZONE", "cn-sh2-02")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: progressConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("region"), knownvalue.StringExact("cn-sh2")),
				statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("progress"), between(49.9, 50.1)),
			},
		}},
	})
}

func TestAccImageProgressDataSource_missingKeys(t *testing.T) {
	for _, name := range append(append([]string{}, settings.EnvPublicKey...), settings.EnvPrivateKey...) {
		t.Setenv(name, "")
	}
	// Keys in the machine's own ~/.ucloud files must not count here.
	t.Setenv("UCLOUD_SHARED_CREDENTIAL_FILE", writeFile(t, t.TempDir(), "credential.json", "[]"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `provider "compshare" {}` + progressConfig,
			ExpectError: errorMatching(`Missing Compshare API keys.*public_key and private_key.*COMPSHARE_PUBLIC_KEY and COMPSHARE_PRIVATE_KEY`),
		}},
	})
}

func TestAccImageProgressDataSource_invalidInput(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	// keyed is a provider block with the test keys, baseURL and more
	// attributes, as HCL.
	keyed := func(baseURL string, attributes ...string) string {
		return providerBlock{BaseURL: baseURL, PublicKey: testPublicKey, PrivateKey: testPrivateKey, Lines: attributes}.config()
	}
	progressOf := func(imageID string) string {
		return tfcli.HCL(`data "compshare_image_progress" "x" { image_id = {{hcl .}} }`, imageID)
	}
	dataSource := progressOf("compshareImage-a")
	for _, tc := range []struct {
		name, config string
		want         string
	}{
		{"empty image_id", providerConfig(srv.URL()) + progressOf(""), `image_id.*length`},
		{"image_id with whitespace", providerConfig(srv.URL()) + progressOf("compshareImage-a b"), `image_id must be an image id such as compshareImage-xxxx, without whitespace, got: compshareImage-a b`},
		{"image_id too long", providerConfig(srv.URL()) + progressOf(strings.Repeat("0", 200)), `image_id.*length`},
		{"empty zone", providerConfig(srv.URL()) + `data "compshare_image_progress" "x" {
  image_id = "compshareImage-a"
  zone     = ""
}`, `zone.*length`},
		{"base_url not http", keyed("ftp://example.com") + dataSource, `Invalid base_url.*"ftp://example.com"`},
		{"base_url malformed", keyed("http//nohost") + dataSource, `Invalid base_url.*"http//nohost"`},
		{"base_url without scheme", keyed("127.0.0.1:18080") + dataSource, `Invalid base_url.*"127.0.0.1:18080" is not an http\(s\) URL such as .* or http://127.0.0.1:18080`},
		{"request_timeout malformed", keyed(srv.URL(), `request_timeout = "soon"`) + dataSource, `request_timeout value must be a duration such as 30s or 2m, from 1s to 5m0s, got: "soon"`},
		{"negative max_retries", keyed(srv.URL(), "max_retries = -1") + dataSource, `max_retries.*-1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: errorMatching(tc.want)}},
			})
		})
	}
	t.Cleanup(func() {
		if n := srv.RequestCount(); n != 0 {
			t.Errorf("invalid input reached the API: %d requests", n)
		}
	})
}

// A mistyped image id gets a "did you mean" from the account's images, at
// the cost of one list call made only on that error.
func TestAccImageProgressDataSource_nearMissImageID(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{finished()}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL()) + `
data "compshare_image_progress" "typo" {
  image_id = "compshareImage-dome"
}`,
			PlanOnly:    true,
			ExpectError: errorMatching(`Compshare image not found.*compshareImage-dome.*Did you mean compshareImage-done\?`),
		}},
	})
	if lists := requestsFor(srv, compshare.ActionDescribeImages); lists != 1 {
		t.Errorf("%d list calls, want one for the failed read", lists)
	}
}
