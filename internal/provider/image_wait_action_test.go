package provider

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

func TestAccImageWaitAction_beforeCreate(t *testing.T) {
	const id = "compshareImage-action"
	srv := startEmulator(t, emulator.Config{})
	var done time.Time
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   actionsSupported,
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { startBuild(srv, id, 4*time.Second, &done) },
			Config:    actionConfig(providerConfig(srv.URL()), id, `max_poll_interval = "2s"`),
		}},
	})
	if time.Now().Before(done) {
		t.Fatalf("the step ended before the build could be done at %s", done.Format(time.RFC3339Nano))
	}
	// The action polled until the build was done: its last poll came after
	// the emulator's moment of completion.
	var last time.Time
	for _, r := range srv.Requests() {
		if r.Action == compshare.ActionImageProgress && r.ImageID == id {
			last = r.Time
		}
	}
	if last.Before(done) {
		t.Fatalf("last poll at %s, before the build was done at %s", last.Format(time.RFC3339Nano), done.Format(time.RFC3339Nano))
	}
}

func TestAccImageWaitAction_errors(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{{ID: "compshareImage-slow", Start: time.Now(), Total: time.Hour}}})
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   actionsSupported,
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      actionConfig(providerConfig(srv.URL()), "compshareImage-nosuch", ""),
				ExpectError: errorMatching(`compshareImage-nosuch.*RetCode 230.*request id`),
			},
			{
				Config:      actionConfig(providerConfig(srv.URL()), "compshareImage-slow", `timeouts = { invoke = "2s" }`),
				ExpectError: errorMatching(`image compshareImage-slow still at [0-9.]+ % after 2s.*raise timeouts.invoke`),
			},
			{
				Config:      actionConfig(providerConfig(srv.URL()), "compshareImage-slow", `timeouts = { invoke = "-1m" }`),
				ExpectError: errorMatching(`timeouts.invoke must be a positive duration such as 30m, got: -1m0s`),
			},
			{
				Config:      actionConfig(providerConfig(srv.URL()), "compshareImage-slow", `target_progress = 0`),
				ExpectError: errorMatching(`target_progress value must be a percentage greater than 0 and at most 100, got: 0`),
			},
		},
	})
}

func TestProgressReporterMessages(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	r := newProgressReporter("compshareImage-x", 100, func(e action.InvokeProgressEvent) {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, e.Message)
	})
	if got := r.message(); !strings.HasPrefix(got, "compshareImage-x: waiting for the first answer") {
		t.Errorf("before any answer: %q", got)
	}
	total, remaining := 300.0, 105.0
	r.poll(compshare.Progress{Percent: 65.5, TotalSeconds: &total, RemainingSeconds: &remaining})
	r.poll(compshare.Progress{Percent: 70})

	stop := r.every(10 * time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	stop()
	stop() // a second stop is harmless
	mu.Lock()
	defer mu.Unlock()
	// stop returned: the ticker goroutine is gone, so nothing is sent later.
	if len(sent) < 3 {
		t.Fatalf("the ticker sent nothing: %q", sent)
	}
	if !strings.HasPrefix(sent[0], "compshareImage-x: 65.5 % done, about 1m4") {
		t.Errorf("first message %q", sent[0])
	}
	if sent[1] != "compshareImage-x: 70 % done, no estimate of the time left" || sent[len(sent)-1] != sent[1] {
		t.Errorf("later messages %q", sent)
	}
}
