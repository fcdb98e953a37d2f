package schedule

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
)

// The schedule alone, reading only the progress (as the wait does when the
// status action is refused), on builds of minutes of every shape and
// estimate mode of internal/buildshape. The wait's own targets, status
// lookups included, are checked in internal/imagewait (shapes_test.go).

var (
	// Builds of minutes, 3 to 60.
	minuteDurations = []time.Duration{3 * time.Minute, 5*time.Minute + 6180*time.Millisecond,
		15 * time.Minute, time.Hour}
	// When the first poll happens after the build started: every 500 ms
	// over BudgetInterval, so that the end falls at every phase of fixed polling.
	shapePhases = func() (phases []time.Duration) {
		for p := time.Duration(0); p < BudgetInterval; p += 500 * time.Millisecond {
			phases = append(phases, p)
		}
		return phases
	}()
)

type simResult struct {
	calls int
	lag   time.Duration
}

// simulateBuild polls b with s from phase after the build started until progress
// reaches target, clamping every delay like imagewait does.
func simulateBuild(s Schedule, b buildshape.Build, target float64, phase, maxInterval time.Duration) simResult {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := b.Reaches(target)
	elapsed := phase
	for calls := 1; calls < 1e6; calls++ {
		a := b.At(elapsed)
		if a.Percent >= target {
			return simResult{calls, elapsed - end}
		}
		o := Observation{At: start.Add(elapsed), Progress: a.Percent, Total: -1, Remaining: -1}
		if a.Estimated {
			o.Total, o.Remaining = seconds(a.Total), seconds(a.Remaining)
		}
		d, _ := s.Next(o)
		elapsed += min(max(d, MinInterval), maxInterval)
	}
	panic(fmt.Sprintf("%+v never reached %v %%", b, target))
}

// On every build of minutes, the schedule alone makes no more calls than
// fixed polling every BudgetInterval, and sees the end within
// BudgetInterval (fixed polling's worst); with a true clock, within 2 s.
func TestAdaptiveShapes(t *testing.T) {
	for _, shape := range buildshape.Shapes {
		for _, est := range buildshape.Estimates {
			var lags []time.Duration
			for _, d := range minuteDurations {
				for _, phase := range shapePhases {
					b := buildshape.Build{Shape: shape, Estimate: est, Duration: d}
					r := simulateBuild(NewAdaptive(100, DefaultMaxInterval), b, 100, phase, DefaultMaxInterval)
					f := simulateBuild(NewFixed(BudgetInterval), b, 100, phase, DefaultMaxInterval)
					if r.calls > f.calls {
						t.Errorf("%s/%s/%v/phase %v: %d calls, fixed polling %d", shape.Name, est.Name, d, phase, r.calls, f.calls)
					}
					lags = append(lags, r.lag)
				}
			}
			worst := slices.Max(lags)
			if slices.Min(lags) < 0 || worst > BudgetInterval {
				t.Errorf("%s/%s: worst lag %v, want at most %v", shape.Name, est.Name, worst, BudgetInterval)
			}
			if est.Name == "clock" && worst > 2*time.Second {
				t.Errorf("%s/%s: worst lag %v with a true clock, want at most 2s", shape.Name, est.Name, worst)
			}
		}
	}
}
