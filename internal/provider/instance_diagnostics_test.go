package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/lifecycle"
)

// A wait that ends early says why: interrupted (Ctrl-C) even while the lock
// was held, timed out on the lock, Install Fail.
func TestInstanceWaitDiagnostic(t *testing.T) {
	busy := &compshare.Error{Action: compshare.ActionStopInstance, UHostID: "uhost-1", RetCode: compshare.RetCodeInstanceBusy, Message: "InstanceOperationInProgress"}
	whileBusy := func(ctx context.Context) error {
		_, err := lifecycle.RetryWhileBusy(ctx, lifecycle.Polling{Interval: time.Hour}, func(context.Context) (int, error) { return 0, busy })
		return err
	}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(time.Minute))
	defer cancel2()
	for _, tc := range []struct {
		name    string
		err     error
		summary string
	}{
		{"interrupted while busy", whileBusy(canceled), "Wait for instance uhost-1 interrupted"},
		{"timed out on the lock", whileBusy(expired), "Timed out waiting for the operation lock of instance uhost-1"},
		{"install failed", &lifecycle.StatusError{Status: compshare.StateInstallFail}, "Instance uhost-1 failed: Install Fail"},
		{"refused", &compshare.Error{Action: compshare.ActionStartInstance, RetCode: 8433, Message: "service error"}, "Compshare API call StartCompShareInstance failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := instanceWaitDiagnostic("uhost-1", "timeouts.update", " Next.", tc.err)
			if d.Summary() != tc.summary || !strings.HasSuffix(d.Detail(), " Next.") {
				t.Errorf("diagnostic %q: %q, want summary %q and the aftermath", d.Summary(), d.Detail(), tc.summary)
			}
		})
	}
}
