package provider

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/lifecycle"
)

// A create that ended early says what ended it: timeouts.create, with the
// advice to raise it, or Ctrl-C, without.
func TestCreateEndedDiagnostics(t *testing.T) {
	lost := &compshare.Error{Action: compshare.ActionCreateImage, Status: http.StatusBadGateway, Message: "Bad Gateway", RequestID: "req-1"}
	busy := &compshare.Error{Action: compshare.ActionCreateImage, UHostID: "uhost-1", RetCode: compshare.RetCodeBuildRunning, RequestID: "req-2"}
	spec := compshare.NewImage{UHostID: "uhost-1", Name: "env"}
	for _, tc := range []struct {
		name         string
		ctx          func() context.Context
		want, refuse string
	}{
		{name: "timed out", ctx: func() context.Context {
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, want: "timeouts.create ran out", refuse: "interrupted"},
		{name: "interrupted", ctx: func() context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, want: "apply was interrupted", refuse: "raise timeouts.create"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx()
			d := lostBuildStoppedDiagnostic("compshareImage-new", lost, ctx.Err())
			text := d.Summary() + "\n" + d.Detail()
			if !strings.Contains(text, tc.want+" before the wait for it began") || strings.Contains(text, tc.refuse) ||
				!strings.Contains(text, "HTTP 502") || !strings.Contains(text, "req-1") || !strings.Contains(text, "Image compshareImage-new was found by its name") {
				t.Errorf("lost answer, then %s: %s", tc.name, text)
			}

			_, err := lifecycle.RetryWhileBusy(ctx, lifecycle.Polling{}, func(context.Context) (string, error) { return "", busy })
			d = createErrorDiagnostic("cn-wlcb", "cn-wlcb-01", spec, err)
			text = d.Summary() + "\n" + d.Detail()
			if !strings.Contains(text, "Instance uhost-1 had another image being built until "+tc.want) || strings.Contains(text, tc.refuse) ||
				!strings.Contains(text, "RetCode 8801") || !strings.Contains(text, "req-2") {
				t.Errorf("busy, then %s: %s", tc.name, text)
			}
		})
	}
}
