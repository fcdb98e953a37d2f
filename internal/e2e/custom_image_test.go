package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// TestTimedOutBuildKeptWithUntaint: a build that outlives timeouts.create
// stays in state, tainted; after terraform untaint the next apply waits for
// that same build instead of starting another.
func TestTimedOutBuildKeptWithUntaint(t *testing.T) {
	t.Parallel()
	w, srv := instanceWorkspace(t, 12*time.Second)
	w.write("main.tf", tfcli.RequiredProviders+`
resource "compshare_custom_image" "env" {
  uhost_id = "uhost-e2e"
  name     = "env"
  timeouts = { create = "2s" }
}
`)
	r := w.terraform("apply", "-no-color", "-input=false", "-auto-approve")
	if r.err == nil || !strings.Contains(flat(r.stderr), "terraform untaint") {
		t.Fatalf("the timed-out apply does not say how to keep the build:\n%s", r)
	}
	images := srv.Images()
	if len(images) != 1 {
		t.Fatalf("%d images on the platform after the timeout, want 1", len(images))
	}
	id := images[0].ID
	if got := w.stateResources()["compshare_custom_image.env"]["id"]; got != id {
		t.Fatalf("state records image %v, want %s", got, id)
	}

	w.mustTerraform("untaint", "-no-color", "compshare_custom_image.env")
	r = w.mustTerraform("apply", "-no-color", "-input=false", "-auto-approve")
	if !strings.Contains(r.stdout, "1 changed") {
		t.Errorf("the apply after untaint did not update in place:\n%s", r)
	}
	state := w.stateResources()["compshare_custom_image.env"]
	if state["id"] != id || state["status"] != "Available" {
		t.Errorf("state after the second apply: id %v, status %v; want %s, Available", state["id"], state["status"], id)
	}
	if n := len(srv.Images()); n != 1 {
		t.Errorf("%d images on the platform, want the one build", n)
	}
	if usable, _ := srv.UsableAt(id); time.Now().Before(usable) {
		t.Errorf("apply ended before the image was usable at %s", usable.Format(time.RFC3339Nano))
	}
}

// TestTaintedOwnImageDoesNotBlockPlans (issue 21 item 3): a build timed out
// and was tainted; it finished later. No plan fails on the image this very
// resource holds: not without refresh (-refresh=false), when Terraform plans
// the replacement without the resource's state; not a refresh-only plan; not
// a destroy.
func TestTaintedOwnImageDoesNotBlockPlans(t *testing.T) {
	t.Parallel()
	w, srv := instanceWorkspace(t, 4*time.Second)
	w.write("main.tf", tfcli.RequiredProviders+`
resource "compshare_custom_image" "env" {
  uhost_id = "uhost-e2e"
  name     = "env"
  timeouts = { create = "1s" }
}
`)
	if r := w.terraform("apply", "-no-color", "-input=false", "-auto-approve"); r.err == nil {
		t.Fatalf("the build did not time out:\n%s", r)
	}
	images := srv.Images()
	if len(images) != 1 {
		t.Fatalf("%d images on the platform after the timeout, want 1", len(images))
	}
	usable, _ := srv.UsableAt(images[0].ID)
	time.Sleep(time.Until(usable)) // the tainted build finishes later

	for _, args := range [][]string{
		{"plan", "-refresh=false"},
		{"plan"},
		{"plan", "-refresh-only"},
		{"plan", "-destroy", "-refresh=false"},
	} {
		r := w.terraform(append(args, "-no-color", "-input=false")...)
		if r.err != nil || strings.Contains(r.stderr, "Error:") {
			t.Errorf("terraform %s failed:\n%s", strings.Join(args, " "), r)
		}
	}
	r := w.mustTerraform("plan", "-refresh=false", "-no-color", "-input=false")
	if !strings.Contains(r.stdout, "is tainted, so must be replaced") {
		t.Errorf("the plan does not replace the tainted image:\n%s", r)
	}
}

// TestTwoProviderConfigurationsOneInstance (issue 21 item 2): two provider
// configurations (aliases, each its own provider process) each build an
// image of the same instance in one apply. The platform refuses the second
// build while the first is being made; the refusal passes, so it is waited
// out and tried again: both images are built.
func TestTwoProviderConfigurationsOneInstance(t *testing.T) {
	t.Parallel()
	w, srv := instanceWorkspace(t, 4*time.Second)
	w.write("main.tf", tfcli.RequiredProviders+`
provider "compshare" {
  alias = "a"
}

provider "compshare" {
  alias = "b"
}

resource "compshare_custom_image" "a" {
  provider = compshare.a
  uhost_id = "uhost-e2e"
  name     = "from-a"
}

resource "compshare_custom_image" "b" {
  provider = compshare.b
  uhost_id = "uhost-e2e"
  name     = "from-b"
}
`)
	w.mustTerraform("apply", "-no-color", "-input=false", "-auto-approve")
	var refused int
	for _, r := range srv.Requests() {
		if r.RetCode == emulator.RetCodeBuildRunning {
			refused++
		}
	}
	if refused == 0 {
		t.Error("no build was refused as busy: the case proves nothing")
	}
	state := w.stateResources()
	for _, name := range []string{"compshare_custom_image.a", "compshare_custom_image.b"} {
		if state[name]["status"] != "Available" {
			t.Errorf("%s: %v", name, state[name])
		}
	}
	if n := len(srv.Images()); n != 2 {
		t.Errorf("%d images on the platform, want 2", n)
	}
}

// instanceWorkspace is a workspace whose provider talks to an emulator with
// one instance, uhost-e2e, whose builds take build.
func instanceWorkspace(t *testing.T, build time.Duration) (*workspace, *emulator.Server) {
	t.Helper()
	w := newWorkspace(t)
	keys := newKeyPair(t)
	srv := startEmulator(t, keys, emulator.Config{
		Instances: []emulator.Instance{{ID: "uhost-e2e", Name: "gpu", GpuType: "4090", GPU: 1}},
		NewBuild:  emulator.Image{Total: build},
	})
	w.setEnv(apiEnv(srv, keys)...)
	return w, srv
}
