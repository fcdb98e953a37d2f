package schedule

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
)

// The goals on every build shape and estimate mode: the lag from the build
// reaching its target to the poll that sees it, and no more calls than fixed
// 5-s polling makes on the same build.
const (
	goalWorstLag  = 2 * time.Second
	goalMedianLag = time.Second
	baseline      = 5 * time.Second
)

var (
	// The benchmark's durations (20 s to 44.72 s in steps of 6.18 s), then
	// longer builds, as real ones are.
	shapeDurations = []time.Duration{20 * time.Second, 26180 * time.Millisecond, 32360 * time.Millisecond,
		38540 * time.Millisecond, 44720 * time.Millisecond, time.Minute, 2 * time.Minute, 5 * time.Minute,
		15 * time.Minute, time.Hour}
	// When the first poll happens after the build started: every 250 ms
	// over baseline, so that the end falls at every phase of fixed polling.
	shapePhases = func() (phases []time.Duration) {
		for p := time.Duration(0); p < baseline; p += 250 * time.Millisecond {
			phases = append(phases, p)
		}
		return phases
	}()
)

// shortBuild is the longest build on which the lag goals may be relaxed,
// except at 99 %, where they are relaxed on builds of every length.
const shortBuild = 2 * time.Minute

// shapeException relaxes the lag goals of one shape and estimate mode, with
// the reason no schedule can meet them there. The calls goal is never relaxed.
type shapeException struct {
	worst, median time.Duration
	reason        string
	anyLength     bool // relaxed on builds of every length, not only up to shortBuild
}

// Why a shape and estimate mode misses the lag goals.
const (
	reasonShortBudget = "on a build of two minutes or less whose end falls just after a fixed 5-s poll, " +
		"the calls of fixed polling leave one poll for the end: an estimate that errs cannot be corrected"
	reasonChunks = "progress moves in steps: the step period is learnt from the jumps seen, but on a build of two " +
		"minutes or less too few steps and calls come before the last one to time it, and no trusted clock tells when it comes"
	reasonSlowEnd = "progress that slows toward the end nears 100 % without telling when it gets there: on a build of " +
		"two minutes or less, without a true clock, the calls of fixed polling do not last through the slow end"
	reasonTail = "at 99 % only a true clock could tell when 100 comes: every answer is the same until then, so " +
		"no schedule can see the end within 2 s without polling every 2 s, more often than fixed 5-s polling"
)

// untrusted are the estimate modes that do not tell when the build ends.
var untrusted = []string{"clock x0.5", "clock x2", "extrapolate", "stale", "none"}

var shapeExceptions = func() map[[2]string]shapeException {
	m := map[[2]string]shapeException{}
	for _, e := range untrusted {
		m[[2]string{"chunks", e}] = shapeException{5 * time.Second, 1050 * time.Millisecond, reasonChunks, false}
		m[[2]string{"fast-start", e}] = shapeException{5 * time.Second, 1400 * time.Millisecond, reasonSlowEnd, false}
		m[[2]string{"slow-start", e}] = shapeException{3300 * time.Millisecond, 1050 * time.Millisecond, reasonShortBudget, false}
		m[[2]string{"tail-99", e}] = shapeException{5 * time.Second, 2800 * time.Millisecond, reasonTail, true}
		m[[2]string{"queued", e}] = shapeException{4100 * time.Millisecond, goalMedianLag, reasonShortBudget, false}
		m[[2]string{"pause", e}] = shapeException{5400 * time.Millisecond, goalMedianLag, reasonShortBudget, false}
	}
	return m
}()

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

func TestAdaptiveShapes(t *testing.T) {
	table := []string{"shape | estimate | worst lag | median lag | calls (5-s calls), worst build"}
	for _, shape := range buildshape.Shapes {
		for _, est := range buildshape.Estimates {
			cell := [2]string{shape.Name, est.Name}
			median := goalMedianLag
			ex, excepted := shapeExceptions[cell]
			if excepted {
				median = ex.median
			}
			var lags []time.Duration
			var calls, fixedCalls int
			for _, d := range shapeDurations {
				for _, phase := range shapePhases {
					b := buildshape.Build{Shape: shape, Estimate: est, Duration: d}
					r := simulateBuild(NewAdaptive(100, DefaultMaxInterval), b, 100, phase, DefaultMaxInterval)
					f := simulateBuild(NewFixed(baseline), b, 100, phase, DefaultMaxInterval)
					name := fmt.Sprintf("%s/%s/%v/phase %v", shape.Name, est.Name, d, phase)
					worst := goalWorstLag
					if excepted && (ex.anyLength || d <= shortBuild) {
						worst = ex.worst
					}
					if r.lag < 0 || r.lag > worst {
						t.Errorf("%s: lag %v, want within [0, %v]", name, r.lag, worst)
					}
					if r.calls > f.calls {
						t.Errorf("%s: %d calls, fixed %v polling %d", name, r.calls, baseline, f.calls)
					}
					lags = append(lags, r.lag)
					// The build where ours spends the most compared to the baseline.
					if calls == 0 || r.calls*fixedCalls > calls*f.calls {
						calls, fixedCalls = r.calls, f.calls
					}
				}
			}
			slices.Sort(lags)
			if m := lags[len(lags)/2]; m > median {
				t.Errorf("%s/%s: median lag %v, want <= %v", shape.Name, est.Name, m, median)
			}
			mark := ""
			if excepted {
				mark = " (exception: " + ex.reason + ")"
			}
			table = append(table, fmt.Sprintf("%s | %s | %v | %v | %d (%d)%s", shape.Name, est.Name,
				lags[len(lags)-1].Round(time.Millisecond), lags[len(lags)/2].Round(time.Millisecond), calls, fixedCalls, mark))
		}
	}
	t.Log("\n" + strings.Join(table, "\n"))
}
