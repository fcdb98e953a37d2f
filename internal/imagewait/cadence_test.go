package imagewait

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// A failed build is reported within max(10 s, 10 % of the time the wait has
// run) of failing, and never later than the max interval + 10 s.
func TestFailureNoticedWithinBounds(t *testing.T) {
	for _, maxInterval := range []time.Duration{2 * time.Second, 5 * time.Second, schedule.DefaultMaxInterval, 2 * time.Minute} {
		for _, failAt := range []time.Duration{3 * time.Second, 12 * time.Second, 45 * time.Second, 95 * time.Second, 250 * time.Second, 700 * time.Second, 2000 * time.Second} {
			for _, noEstimate := range []bool{false, true} {
				name := fmt.Sprintf("max %v, failed at %v, no estimate %v", maxInterval, failAt, noEstimate)
				b := newBuild(3*failAt + time.Minute)
				b.stallAt, b.stallFor, b.failed, b.noEstimate = failAt, 24*time.Hour, true, noEstimate
				_, err := b.run(t, Request{MaxInterval: maxInterval}, 10*time.Hour)
				var failed *FailedError
				if !errors.As(err, &failed) {
					t.Errorf("%s: error %v, want *FailedError", name, err)
					continue
				}
				delay, bound := b.elapsed()-failAt, min(max(10*time.Second, failAt/10), maxInterval+10*time.Second)
				if delay <= 0 || delay > bound {
					t.Errorf("%s: reported %v after the failure, want at most %v (lookups at %v)", name, delay, bound, b.statusAt)
				}
			}
		}
	}
}

// The status lookups and the progress polls together make no more calls than
// polling the progress every 5 s until the image is usable.
func TestCallsNoMoreThanFixedPolling(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() *fakeBuild
	}{
		{"30s", func() *fakeBuild { return newBuild(30 * time.Second) }},
		{"1m", func() *fakeBuild { return newBuild(time.Minute) }},
		{"3m", func() *fakeBuild { return newBuild(3 * time.Minute) }},
		{"10m", func() *fakeBuild { return newBuild(10 * time.Minute) }},
		{"1h", func() *fakeBuild { return newBuild(time.Hour) }},
		{"10m without estimate", func() *fakeBuild { b := newBuild(10 * time.Minute); b.noEstimate = true; return b }},
		{"10m with a 2m pause", func() *fakeBuild {
			b := newBuild(10 * time.Minute)
			b.stallAt, b.stallFor = 4*time.Minute, 2*time.Minute
			return b
		}},
		{"3m, Available 30s after 100 %", func() *fakeBuild { b := newBuild(3 * time.Minute); b.statusLag = 30 * time.Second; return b }},
	} {
		b := tc.build()
		if _, err := b.run(t, Request{}, 10*time.Hour); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		usable := b.work + b.stallFor + b.statusLag
		calls, fixed := b.progressCalls+len(b.statusAt), int((usable+5*time.Second-1)/(5*time.Second))+1
		t.Logf("%s: %d calls (%d progress, %d status), fixed 5-s polling %d", tc.name, calls, b.progressCalls, len(b.statusAt), fixed)
		if calls > fixed {
			t.Errorf("%s: %d calls (%d progress, %d status), fixed 5-s polling makes %d", tc.name, calls, b.progressCalls, len(b.statusAt), fixed)
		}
	}
}

// While a build at 100 % is listed as Making, the calls saved earlier pay for
// lookups every schedule.BudgetInterval/2: the wait ends within that of the
// image becoming usable, half fixed 5-s polling's worst, and still makes no
// more calls than fixed 5-s polling.
func TestAvailableSeenSoonOnSavedCalls(t *testing.T) {
	for _, lag := range []time.Duration{3 * time.Second, 10 * time.Second, 17 * time.Second} {
		b := newBuild(3 * time.Minute)
		b.statusLag = lag
		if _, err := b.run(t, Request{}, time.Hour); err != nil {
			t.Fatalf("Making for %v: %v", lag, err)
		}
		usable := b.work + lag
		if late, within := b.elapsed()-usable, schedule.BudgetInterval/2; late < 0 || late > within {
			t.Errorf("Making for %v: ended %v after the image was usable, want within %v (lookups at %v)", lag, late, within, b.statusAt)
		}
		// The lookup at 100 %, the one 0.5 s after it, then every 2.5 s.
		making := 0
		for _, at := range b.statusAt {
			if at > b.work {
				making++
			}
		}
		if most := int(lag/(schedule.BudgetInterval/2)) + 3; making > most {
			t.Errorf("Making for %v: %d lookups after 100 %%, want at most %d (lookups at %v)", lag, making, most, b.statusAt)
		}
		if calls, fixed := b.progressCalls+len(b.statusAt), int(usable/(5*time.Second))+2; calls > fixed {
			t.Errorf("Making for %v: %d calls, fixed 5-s polling %d", lag, calls, fixed)
		}
	}
}

// A max interval below schedule.MinInterval is raised to it: progress polls
// never come closer together, whatever the request asks.
func TestMaxIntervalHasAFloor(t *testing.T) {
	b := newBuild(time.Minute)
	if _, err := b.run(t, Request{MaxInterval: time.Millisecond}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(b.progressAt); i++ {
		if gap := b.progressAt[i] - b.progressAt[i-1]; gap < schedule.MinInterval {
			t.Fatalf("progress polls at %v and %v, %v apart", b.progressAt[i-1], b.progressAt[i], gap)
		}
	}
}
