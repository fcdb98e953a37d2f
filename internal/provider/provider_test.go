package provider

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

const (
	testPublicKey  = "test-public-key"
	testPrivateKey = "test-private-key-never-shown"
)

var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"compshare": providerserver.NewProtocol6WithError(New("test")()),
}

// startEmulator runs the Compshare API emulator on a random loopback port for
// one test, with the test key pair.
func startEmulator(t *testing.T, cfg emulator.Config) *emulator.Server {
	t.Helper()
	cfg.PublicKey, cfg.PrivateKey = testPublicKey, testPrivateKey
	srv, err := emulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// providerConfig configures the provider against the emulator at url.
func providerConfig(url string) string {
	return fmt.Sprintf(`
provider "compshare" {
  base_url    = %q
  public_key  = %q
  private_key = %q
  max_retries = 1
}
`, url, testPublicKey, testPrivateKey)
}

func TestAccProvider_maxRequestsPerSecond(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: "compshareImage-a", Total: time.Minute}, {ID: "compshareImage-b", Total: time.Minute},
	}})
	config := func(perSecond string) string {
		return fmt.Sprintf(`
provider "compshare" {
  base_url                = %q
  public_key              = %q
  private_key             = %q
  max_requests_per_second = %s
}

data "compshare_image_progress" "a" { image_id = "compshareImage-a" }
data "compshare_image_progress" "b" { image_id = "compshareImage-b" }
`, srv.URL(), testPublicKey, testPrivateKey, perSecond)
	}
	for _, invalid := range []string{"0", "-1"} {
		t.Run(invalid, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config: config(invalid), PlanOnly: true,
					ExpectError: errorMatching(`max_requests_per_second value must be greater than 0, got: ` + invalid),
				}},
			})
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: config("1.5"), // fractions are fine
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.compshare_image_progress.b", tfjsonpath.New("completed"), knownvalue.Bool(false)),
			},
		}},
	})
}

func TestWaitScheduleKnob(t *testing.T) {
	if s := (&providerData{}).waitSchedule(); s != nil {
		t.Errorf("without COMPSHARE_WAIT_SCHEDULE the schedule is %T, want nil (adaptive)", s)
	}
	s := (&providerData{fixedPollInterval: 5 * time.Second}).waitSchedule()
	if s == nil || s.Next(schedule.Observation{Progress: 50}) != 5*time.Second {
		t.Errorf("fixed:5s gives %T", s)
	}
}

func TestQuietUnreadLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"nobody reads the logs", map[string]string{}, map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER": "OFF"}},
		{"TF_LOG set", map[string]string{"TF_LOG": "DEBUG"}, map[string]string{"TF_LOG": "DEBUG"}},
		{"TF_LOG_PROVIDER set", map[string]string{"TF_LOG_PROVIDER": "TRACE"}, map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
		{"acceptance test log file", map[string]string{"TF_ACC_LOG_PATH": "/tmp/log"}, map[string]string{"TF_ACC_LOG_PATH": "/tmp/log"}},
		{"explicit SDK level kept", map[string]string{"TF_LOG_SDK": "INFO"}, map[string]string{"TF_LOG_SDK": "INFO", "TF_LOG_PROVIDER": "OFF"}},
	} {
		env := maps.Clone(tc.env)
		quietUnreadLogs(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		if !maps.Equal(env, tc.want) {
			t.Errorf("%s: environment %v, want %v", tc.name, env, tc.want)
		}
	}
}

// startBuild starts a build of id lasting total and records when it will be
// done. Steps call it from PreConfig, so that the build starts with the step,
// not while a parallel test waits its turn.
func startBuild(srv *emulator.Server, id string, total time.Duration, done *time.Time) {
	srv.SetImage(emulator.Image{ID: id, Start: time.Now(), Total: total})
	*done, _ = srv.CompletedAt(id)
}
