package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

// TestTransientFaultsSurvived lets every 2nd request fail transiently during
// plan and a short wait; the provider's retries must carry the apply through.
func TestTransientFaultsSurvived(t *testing.T) {
	t.Parallel()
	for _, fault := range []emulator.Fault{emulator.FaultHTTP503, emulator.FaultReset, emulator.FaultRetCode8433} {
		t.Run(string(fault), func(t *testing.T) {
			t.Parallel()
			const id = "compshareImage-e2e-faults"
			w := newWorkspace(t)
			keys := newKeyPair(t)
			srv := startEmulator(t, keys, emulator.Config{
				Images:     []emulator.Image{building(id, time.Second, 4*time.Second)},
				FaultEvery: 2,
				Fault:      fault,
			})
			w.setEnv(apiEnv(srv, keys)...)
			w.write("main.tf", waitConfig(id, ""))

			r := w.mustTerraform("apply", "-no-color", "-input=false", "-auto-approve")
			if !strings.Contains(r.stdout, "compshare_image_wait.gpu: Creation complete") {
				t.Fatalf("the wait was not created:\n%s", r)
			}
			wait := w.stateResources()["compshare_image_wait.gpu"]
			if wait == nil || wait["progress"] != 100.0 || wait["completed"] != true {
				t.Fatalf("state: wait = %v, want progress 100 and completed", wait)
			}
			// A fault taken for the end would end the wait early.
			done, _ := srv.CompletedAt(id)
			if at, err := time.Parse(time.RFC3339, fmt.Sprint(wait["completed_at"])); err != nil || at.Before(done.Truncate(time.Second)) {
				t.Fatalf("completed_at %v (%v) is before the build's end %s", wait["completed_at"], err, done.Format(time.RFC3339))
			}
			faults := 0
			for _, req := range srv.Requests() {
				if req.Fault == fault {
					faults++
				}
			}
			if faults == 0 {
				t.Fatalf("the emulator injected no %s fault: the test proves nothing", fault)
			}
			t.Logf("%d of %d requests got %s", faults, len(srv.Requests()), fault)
		})
	}
}
