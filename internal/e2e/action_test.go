package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// TestActionStreamsProgress invokes the wait action with -invoke and reads
// the progress messages it streams to the CLI while the build runs.
func TestActionStreamsProgress(t *testing.T) {
	t.Parallel()
	const id = "compshareImage-e2e-action"
	keys := newKeyPair(t)
	// The build stands still until the action starts: it must still be
	// running for several polls, however long Terraform takes to get there.
	clock := &pausedClock{at: time.Now()}
	srv := startEmulator(t, keys, emulator.Config{Now: clock.Now, Images: []emulator.Image{
		{ID: id, Start: clock.at.Add(-2 * time.Second), Total: 14 * time.Second},
	}})
	w := newWorkspace(t)
	w.setEnv(apiEnv(srv, keys)...)
	w.write("main.tf", tfcli.RequiredProviders+`
action "compshare_image_wait" "gpu" {
  config {
    image_id          = "`+id+`"
    max_poll_interval = "20s"
  }
}
`)
	r := w.mustTerraformTee(clock.resumeOn("Action started:"), "apply", "-no-color", "-input=false", "-auto-approve", "-invoke=action.compshare_image_wait.gpu")
	out := r.stdout + r.stderr

	progress := regexp.MustCompile(id + `: [0-9.]+ % done, (about [0-9hms]+ left|due about now)`)
	if n := len(progress.FindAllString(out, -1)); n < 2 {
		t.Fatalf("want progress messages while the build runs, found %d:\n%s", n, out)
	}
	if !strings.Contains(out, id+": 100 % done, finished waiting after") {
		t.Fatalf("no final message:\n%s", out)
	}
	done, _ := srv.CompletedAt(id)
	if clock.Now().Before(done) {
		t.Fatalf("the action returned before the build was done")
	}
}
