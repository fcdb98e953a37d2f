package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// creatingWait is what Terraform prints as it asks the provider to create the wait.
const creatingWait = "compshare_image_wait.gpu: Creating..."

// TestInterruptedApplyRecordsNoWait sends SIGINT, as Ctrl-C does, to an
// apply waiting for an hour-long build.
func TestInterruptedApplyRecordsNoWait(t *testing.T) {
	t.Parallel()
	const id = "compshareImage-e2e-long"
	w := newWorkspace(t)
	keys := newKeyPair(t)
	var stdout, stderr tfcli.LockedBuffer
	polledWhileCreating := make(chan struct{}, 1)
	srv := startEmulator(t, keys, emulator.Config{
		Images: []emulator.Image{building(id, time.Minute, time.Hour)},
		// A progress read answered after Terraform said it is creating the
		// wait is a poll of the wait, not of the plan.
		OnRequest: func(r emulator.Request) {
			if r.Action == compshare.ActionImageProgress && strings.Contains(stdout.String(), creatingWait) {
				select {
				case polledWhileCreating <- struct{}{}:
				default:
				}
			}
		},
	})
	w.setEnv(apiEnv(srv, keys)...)
	w.write("main.tf", waitConfig(id, ""))

	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	apply := w.command(ctx, "apply", "-no-color", "-input=false", "-auto-approve")
	apply.Stdout, apply.Stderr = &stdout, &stderr
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- apply.Wait() }()

	// Interrupt once the wait has polled, or 3 s after it began (its first
	// poll may come before its "Creating..." reaches us).
	var creating time.Time
	for polled := false; !polled && (creating.IsZero() || time.Since(creating) < 3*time.Second); {
		select {
		case err := <-exited:
			t.Fatalf("apply ended before it was interrupted: %v\n%s\n%s", err, stdout.String(), stderr.String())
		case <-polledWhileCreating:
			polled = true
		case <-time.After(50 * time.Millisecond):
			if creating.IsZero() && strings.Contains(stdout.String(), creatingWait) {
				creating = time.Now()
			}
		}
	}
	interrupted := time.Now()
	if err := syscall.Kill(-apply.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		t.Logf("apply exited %s after SIGINT: %v", time.Since(interrupted).Round(time.Millisecond), err)
		if err == nil {
			t.Errorf("an interrupted apply exited 0:\n%s", stdout.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("apply still running 5 s after SIGINT:\n%s\n%s", stdout.String(), stderr.String())
	}
	if _, ok := w.stateResources()["compshare_image_wait.gpu"]; ok {
		t.Fatalf("the interrupted wait was recorded in state:\n%s", stdout.String())
	}

	// Once the image is built, the next apply creates the wait: the
	// interrupted one left nothing behind.
	srv.SetImage(building(id, time.Hour, time.Hour))
	r := w.mustTerraform("apply", "-no-color", "-input=false", "-auto-approve")
	if !strings.Contains(r.stdout, "compshare_image_wait.gpu: Creation complete") {
		t.Fatalf("the second apply did not create the wait:\n%s", r)
	}
	if wait := w.stateResources()["compshare_image_wait.gpu"]; wait == nil || wait["completed"] != true {
		t.Fatalf("state after the second apply: wait = %v, want completed", wait)
	}
}
