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
	shapeDurations = []time.Duration{20 * time.Second, 60 * time.Second, 5 * time.Minute, time.Hour}
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
	reasonShortBudget = "on a 20-s or 60-s build whose end falls just after a fixed 5-s poll, " +
		"the calls of fixed polling leave one poll for the end: an estimate that errs cannot be corrected"
	reasonChunks = "progress moves in steps: the step period is learnt from the jumps seen, but on a 20-s or " +
		"60-s build too few steps and calls come before the last one to time it, and no trusted clock tells when it comes"
	reasonTail = "at 99 % only a true clock could tell when 100 comes; " +
		"once the calls saved are spent the wait polls like fixed 5-s polling"
)

var shapeExceptions = map[[2]string]shapeException{
	{"chunks", "clock x0.5"}:                 {4500 * time.Millisecond, goalMedianLag, reasonChunks},
	{"chunks", "clock x2"}:                   {4500 * time.Millisecond, goalMedianLag, reasonChunks},
	{"chunks", "extrapolated"}:               {4500 * time.Millisecond, goalMedianLag, reasonChunks},
	{"chunks", "stale"}:                      {4500 * time.Millisecond, goalMedianLag, reasonChunks},
	{"chunks", "none"}:                       {4500 * time.Millisecond, goalMedianLag, reasonChunks},
	{"fast start, slow end", "clock x0.5"}:   {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"fast start, slow end", "clock x2"}:     {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"fast start, slow end", "extrapolated"}: {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"fast start, slow end", "stale"}:        {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"fast start, slow end", "none"}:         {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"slow start, fast end", "stale"}:        {4400 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"tail at 99", "clock x0.5"}:             {5 * time.Second, 2500 * time.Millisecond, reasonTail},
	{"tail at 99", "clock x2"}:               {4400 * time.Millisecond, 2500 * time.Millisecond, reasonTail},
	{"tail at 99", "extrapolated"}:           {4400 * time.Millisecond, 2900 * time.Millisecond, reasonTail},
	{"tail at 99", "stale"}:                  {4400 * time.Millisecond, 1700 * time.Millisecond, reasonTail},
	{"tail at 99", "none"}:                   {4400 * time.Millisecond, 2500 * time.Millisecond, reasonTail},
	{"queued at 0", "clock x0.5"}:            {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"queued at 0", "extrapolated"}:          {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"queued at 0", "none"}:                  {2900 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "clock x0.5"}:                  {3800 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "clock x2"}:                    {3800 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "extrapolated"}:                {3800 * time.Millisecond, goalMedianLag, reasonShortBudget},
	{"pause", "none"}:                        {3800 * time.Millisecond, goalMedianLag, reasonShortBudget},
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
