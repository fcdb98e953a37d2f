package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

var actionsSupported = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"compshare": providerserver.NewProtocol6WithError(New("test")()),
}

const (
	testPublicKey  = "test-public-key"
	testPrivateKey = "test-private-key-never-shown"
)

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

// providerBlock is a provider "compshare" block; an empty field is left out.
type providerBlock struct {
	Alias, BaseURL, PublicKey, PrivateKey, Profile string
	// Lines are further attributes, one line of HCL each, such as `zone = "cn-sh2-02"`.
	Lines []string
}

// config is the block as HCL.
func (p providerBlock) config() string {
	return tfcli.HCL(`
provider "compshare" {
{{- with .Alias}}
  alias       = {{hcl .}}
{{- end}}
{{- with .BaseURL}}
  base_url    = {{hcl .}}
{{- end}}
{{- with .PublicKey}}
  public_key  = {{hcl .}}
{{- end}}
{{- with .PrivateKey}}
  private_key = {{hcl .}}
{{- end}}
{{- with .Profile}}
  profile     = {{hcl .}}
{{- end}}
{{- range .Lines}}
  {{.}}
{{- end}}
}
`, p)
}

// providerConfig configures the provider against the emulator at url, with
// the test keys and max_retries = 1 unless set otherwise; each of attributes
// is one more line of the block, such as `zone = "cn-sh2-02"`.
func providerConfig(url string, attributes ...string) string {
	if !slices.ContainsFunc(attributes, func(a string) bool { return strings.HasPrefix(a, "max_retries") }) {
		attributes = append([]string{"max_retries = 1"}, attributes...)
	}
	return providerBlock{BaseURL: url, PublicKey: testPublicKey, PrivateKey: testPrivateKey, Lines: attributes}.config()
}

// countRequests counts the requests in srv's log that match, such as faulted
// ones: the tests use it to show that a case happened at all ("no fault was
// injected: the test proves nothing") or how often.
func countRequests(srv *emulator.Server, match func(emulator.Request) bool) int {
	n := 0
	for _, r := range srv.Requests() {
		if match(r) {
			n++
		}
	}
	return n
}

// faulted matches a request whose answer an injected fault replaced or altered.
func faulted(r emulator.Request) bool { return r.Fault != "" }

// requestsFor counts the requests srv received for action.
func requestsFor(srv *emulator.Server, action string) int {
	return countRequests(srv, func(r emulator.Request) bool { return r.Action == action })
}

// startBuild starts a build of id lasting total and records when it will be
// done. Steps call it from PreConfig, so that the build starts with the step,
// not while a parallel test waits its turn.
func startBuild(srv *emulator.Server, id string, total time.Duration, done *time.Time) {
	srv.SetImage(emulator.Image{ID: id, Start: time.Now(), Total: total})
	*done, _ = srv.CompletedAt(id)
}

// errorMatching matches Terraform's wrapped error text: a space in pattern
// stands for any run of whitespace, and . matches newlines.
func errorMatching(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

func between(lo, hi float64) knownvalue.Check {
	return knownvalue.Float64Func(func(v float64) error {
		if v < lo || v > hi {
			return fmt.Errorf("%v is not within [%v, %v]", v, lo, hi)
		}
		return nil
	})
}

// actionConfig, under the provider block given, runs the wait action on
// image id before a terraform_data is created; extra is more of the action's
// config, as HCL.
func actionConfig(provider, id, extra string) string {
	return provider + tfcli.HCL(`
action "compshare_image_wait" "gpu" {
  config {
    image_id = {{hcl .ID}}
    {{.Extra}}
  }
}

resource "terraform_data" "uses_image" {
  input = {{hcl .ID}}

  lifecycle {
    action_trigger {
      events  = [before_create]
      actions = [action.compshare_image_wait.gpu]
    }
  }
}
`, map[string]string{"ID": id, "Extra": extra})
}

// waitConfig, under the provider block given, waits for image id and gates a
// terraform_data on the wait; extra is more attributes of the wait, as HCL.
func waitConfig(provider, id, extra string) string {
	return provider + tfcli.HCL(`
resource "compshare_image_wait" "gpu" {
  image_id = {{hcl .ID}}
  {{.Extra}}
}

# Created only once the wait is over: it needs the wait's outputs.
resource "terraform_data" "uses_image" {
  input = {
    image_id     = compshare_image_wait.gpu.image_id
    completed_at = compshare_image_wait.gpu.completed_at
  }
}
`, map[string]string{"ID": id, "Extra": extra})
}

// notBefore checks an RFC 3339 time against a moment.
func notBefore(moment time.Time) knownvalue.Check {
	return knownvalue.StringFunc(func(v string) error {
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return err
		}
		if at.Before(moment.Truncate(time.Second)) {
			return fmt.Errorf("%s is before %s", v, moment.Format(time.RFC3339Nano))
		}
		return nil
	})
}

// afterDone checks an RFC 3339 time against a moment known only once the
// step has started.
func afterDone(done *time.Time) knownvalue.Check {
	return knownvalue.StringFunc(func(v string) error { return notBefore(*done).CheckValue(v) })
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// interceptedEmulator serves the emulator behind a handler that sees each
// request's Action first: intercept answers in place of the emulator, or
// returns false to let the emulator answer. It stands for a platform or a
// proxy that behaves in a way the emulator does not model.
func interceptedEmulator(t *testing.T, cfg emulator.Config, intercept func(action string, w http.ResponseWriter, r *http.Request, emu http.Handler) bool) (*emulator.Server, string) {
	t.Helper()
	cfg.PublicKey, cfg.PrivateKey = testPublicKey, testPrivateKey
	srv, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept(r.URL.Query().Get("Action"), w, r, srv) {
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return srv, hs.URL
}
