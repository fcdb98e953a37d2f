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
	// The benchmark's durations (20 s to 44.72 s in steps of 6.18 s), then longer builds.
	shapeDurations = []time.Duration{20 * time.Second, 26180 * time.Millisecond, 32360 * time.Millisecond,
		38540 * time.Millisecond, 44720 * time.Millisecond, 60 * time.Second, 5 * time.Minute, time.Hour}
	// When the first poll happens after the build started: spread over
	// baseline so that the fixed polling's lag varies.
	shapePhases = []time.Duration{0, 1300 * time.Millisecond, 2900 * time.Millisecond, 4400 * time.Millisecond}
)

// shapeException relaxes the lag goals of one shape and estimate mode, with
// the reason no schedule can meet them there. The calls goal is never relaxed.
type shapeException struct {
	worst, median time.Duration
	reason        string
}

// Why a shape and estimate mode misses the lag goals.
const (
	reasonShortBudget = "on a build under a minute whose end falls just after a fixed 5-s poll, " +
		"the calls of fixed polling leave one poll for the end: an estimate that errs cannot be corrected"
	reasonChunks = "progress moves in steps: the step period is learnt from the jumps seen, but on a build " +
		"under a minute too few steps and calls come before the last one to time it, and no trusted clock tells when it comes"
	reasonTail = "at 99 % only a true clock could tell when 100 comes; " +
		"once the calls saved are spent the wait polls like fixed 5-s polling"
)

var shapeExceptions = map[[2]string]shapeException{
	{"chunks", "clock x0.5"}:      {4700 * time.Millisecond, 1400 * time.Millisecond, reasonChunks},
	{"chunks", "clock x2"}:        {4700 * time.Millisecond, 1400 * time.Millisecond, reasonChunks},
	{"chunks", "extrapolate"}:     {4700 * time.Millisecond, 1400 * time.Millisecond, reasonChunks},
	{"chunks", "stale"}:           {4700 * time.Millisecond, 1400 * time.Millisecond, reasonChunks},
	{"chunks", "none"}:            {4700 * time.Millisecond, 1400 * time.Millisecond, reasonChunks},
	{"fast-start", "clock x0.5"}:  {4700 * time.Millisecond, 1500 * time.Millisecond, reasonShortBudget},
	{"fast-start", "clock x2"}:    {4700 * time.Millisecond, 1500 * time.Millisecond, reasonShortBudget},
	{"fast-start", "extrapolate"}: {4700 * time.Millisecond, 1500 * time.Millisecond, reasonShortBudget},
	{"fast-start", "stale"}:       {4700 * time.Millisecond, 1500 * time.Millisecond, reasonShortBudget},
	{"fast-start", "none"}:        {4700 * time.Millisecond, 1500 * time.Millisecond, reasonShortBudget},
	{"slow-start", "clock x0.5"}:  {3400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"slow-start", "clock x2"}:    {3400 * time.Millisecond, 1600 * time.Millisecond, reasonShortBudget},
	{"slow-start", "extrapolate"}: {3400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"slow-start", "stale"}:       {3400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"slow-start", "none"}:        {3400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"tail-99", "clock x0.5"}:     {4700 * time.Millisecond, 2700 * time.Millisecond, reasonTail},
	{"tail-99", "clock x2"}:       {4700 * time.Millisecond, 2700 * time.Millisecond, reasonTail},
	{"tail-99", "extrapolate"}:    {4700 * time.Millisecond, 2700 * time.Millisecond, reasonTail},
	{"tail-99", "stale"}:          {4700 * time.Millisecond, 2700 * time.Millisecond, reasonTail},
	{"tail-99", "none"}:           {4700 * time.Millisecond, 2700 * time.Millisecond, reasonTail},
	{"queued", "clock x0.5"}:      {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"queued", "clock x2"}:        {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"queued", "extrapolate"}:     {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"queued", "stale"}:           {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"queued", "none"}:            {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "clock x0.5"}:       {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "clock x2"}:         {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "extrapolate"}:      {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "stale"}:            {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "none"}:             {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
}

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
		elapsed += min(max(s.Next(o), MinInterval), maxInterval)
	}
	panic(fmt.Sprintf("%+v never reached %v %%", b, target))
}

func TestAdaptiveShapes(t *testing.T) {
	table := []string{"shape | estimate | worst lag | median lag | calls (5-s calls), worst build"}
	for _, shape := range buildshape.Shapes {
		for _, est := range buildshape.Estimates {
			cell := [2]string{shape.Name, est.Name}
			worst, median := goalWorstLag, goalMedianLag
			ex, excepted := shapeExceptions[cell]
			if excepted {
				worst, median = ex.worst, ex.median
			}
			var lags []time.Duration
			var calls, fixedCalls int
			for _, d := range shapeDurations {
				for _, phase := range shapePhases {
					b := buildshape.Build{Shape: shape, Estimate: est, Duration: d}
					r := simulateBuild(NewAdaptive(100, DefaultMaxInterval), b, 100, phase, DefaultMaxInterval)
					f := simulateBuild(NewFixed(baseline), b, 100, phase, DefaultMaxInterval)
					name := fmt.Sprintf("%s/%s/%v/phase %v", shape.Name, est.Name, d, phase)
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
