package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

// TestAccImageWait_faults runs a short wait while every second API answer is
// a fault. Transient faults are retried and the wait ends when the image is
// done, never before; permanent or malformed answers end it with a clear
// error. Each case logs a row of the fault table (go test -v shows it).
func TestAccImageWait_faults(t *testing.T) {
	for _, tc := range []struct {
		fault   emulator.Fault
		answer  string
		wantErr string // empty: the wait must complete
	}{
		{emulator.FaultHTTP502, "HTTP 502", ""},
		{emulator.FaultHTTP503, "HTTP 503", ""},
		{emulator.FaultHTTP504, "HTTP 504", ""},
		{emulator.FaultHTTP429, "HTTP 429", ""},
		{emulator.FaultRetCode8433, "RetCode 8433", ""},
		{emulator.FaultReset, "connection reset", ""},
		{emulator.FaultHTML, "HTTP 502 with an HTML page", ""},
		{emulator.FaultSlow, "no answer within request_timeout (1s)", ""},
		{emulator.FaultRetCodeString, `RetCode as a string "0"`, ""},
		{emulator.FaultNoDurations, "no TotalDuration/RemainingDuration", ""},
		{emulator.FaultProcessNoise, "Process 100.00000000000001 at the end", ""},
		{emulator.FaultHTML200, "HTTP 200 with a 200 KB HTML page", ""},
		{emulator.FaultTruncated, "JSON cut in half", ""},
		{emulator.FaultHTTP500, "HTTP 500", `compshareImage-faulty.*HTTP 500, RetCode 500: Internal Server Error \(request id`},
		{emulator.FaultProcessOver100, "Process 112.5", `compshareImage-faulty.*Process 112.5 is outside 0..100`},
		{emulator.FaultProcessNegative, "Process -5", `compshareImage-faulty.*Process -5 is outside 0..100`},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			const id = "compshareImage-faulty"
			srv := startEmulator(t, emulator.Config{FaultEvery: 2, Fault: tc.fault})
			var done time.Time
			step := resource.TestStep{
				PreConfig: func() { startBuild(srv, id, 3*time.Second, &done) },
				Config:    waitConfig(providerConfig(srv.URL(), `request_timeout = "1s"`), id, `timeouts = { create = "1m" }`),
			}
			outcome := "retried; the wait completed after the image did"
			if tc.wantErr != "" {
				step.ExpectError = errorMatching(tc.wantErr)
				outcome = "ended with an error naming the image and the fault"
			} else {
				step.ConfigStateChecks = []statecheck.StateCheck{
					statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("progress"), knownvalue.Float64Exact(100)),
					statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed_at"), afterDone(&done)),
				}
			}
			resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories, Steps: []resource.TestStep{step}})

			injected := countRequests(srv, faulted)
			if injected == 0 {
				t.Fatalf("no %s fault was injected: the case proves nothing", tc.fault)
			}
			t.Logf("fault table | %-16s | %-36s | %s (%d faults injected)", tc.fault, tc.answer, outcome, injected)
		})
	}
}

// TestAccImageWait_outage cuts the API off for a while during the wait:
// every answer fails, more than the client's own retries can absorb, so the
// wait itself backs off and polls again, and still ends after the image.
func TestAccImageWait_outage(t *testing.T) {
	const id = "compshareImage-outage"
	const outage = 4 // answers in a row: with max_retries = 1, two whole polls
	requests := make(chan emulator.Request, 1000)
	srv := startEmulator(t, emulator.Config{OnRequest: func(r emulator.Request) {
		select {
		case requests <- r:
		default:
		}
	}})
	// The outage starts after the second progress request, the wait's first
	// poll (the plan reads the progress once), and lasts for a number of
	// answers rather than seconds: it reaches the wait however long Terraform
	// takes to start it and however sparsely the wait polls.
	go func() {
		progressReads, faults := 0, 0
		for r := range requests {
			if r.Action == "GetCompShareImageCreateProgress" {
				if progressReads++; progressReads == 2 {
					srv.SetFault(1, emulator.FaultHTTP503)
				}
			}
			if faulted(r) {
				if faults++; faults == outage {
					srv.SetFault(0, "")
					return
				}
			}
		}
	}()
	var done time.Time
	// Not parallel: a paused test would let the build pass before Terraform
	// runs.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { startBuild(srv, id, 14*time.Second, &done) },
			Config:    waitConfig(providerConfig(srv.URL()), id, `timeouts = { create = "1m" }`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("progress"), knownvalue.Float64Exact(100)),
				statecheck.ExpectKnownValue("compshare_image_wait.gpu", tfjsonpath.New("completed_at"), afterDone(&done)),
			},
		}},
	})
	// The whole outage reached the wait, which rode it out.
	if n := countRequests(srv, faulted); n != outage {
		t.Fatalf("%d faulted answers, want %d: the outage did not reach the wait", n, outage)
	}
}
