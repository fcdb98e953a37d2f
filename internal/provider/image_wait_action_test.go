package provider

import (
	"testing"
	"time"

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
	// The action polled until the build was done: its last request, a
	// progress poll or a status lookup (which the wait makes instead from
	// 99.99 %), came after the emulator's moment of completion.
	var last time.Time
	for _, r := range srv.Requests() {
		if (r.Action == compshare.ActionImageProgress || r.Action == compshare.ActionDescribeImages) && r.ImageID == id {
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
