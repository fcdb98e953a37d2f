// Package buildshape describes, as pure functions of time, the ways an image
// build's progress and the progress API's estimates evolve: straight lines,
// chunks, slowing down or speeding up near the end, a long tail at 99 %, a
// queue at 0 %, a pause; estimates that are a true clock, a clock off by a
// factor, an extrapolation of progress, a stale value, or absent. The
// schedule's tests and the benchmarks drive simulated builds with them.
package buildshape

import (
	"math"
	"time"
)

// Shape gives a build's progress in percent at fraction x of its duration,
// for 0 <= x < 1; Build.At makes it 100 from x >= 1.
type Shape struct {
	Name     string
	Progress func(x float64) float64
}

// Shapes are the progress shapes seen on real builds.
var Shapes = []Shape{
	{"straight", func(x float64) float64 { return 100 * x }},
	// Four steps of 25 %, the last one to 100 at the end.
	{"chunks", func(x float64) float64 { return 25 * math.Floor(4*x) }},
	{"fast start, slow end", func(x float64) float64 { return 100 * (1 - (1-x)*(1-x)) }},
	{"slow start, fast end", func(x float64) float64 { return 100 * x * x }},
	// 99 % after 60 % of the duration, then nothing until the end.
	{"tail at 99", func(x float64) float64 { return math.Min(99, 99*x/0.6) }},
	// 0 % for the first 30 % of the duration, then a straight line.
	{"queued at 0", func(x float64) float64 { return math.Max(0, (x-0.3)/0.7*100) }},
	// A straight line that stops at 50 % from 40 % to 60 % of the duration.
	{"pause", func(x float64) float64 {
		return 125 * (math.Min(x, 0.4) + math.Max(0, x-0.6))
	}},
}

// Estimate gives the API's TotalDuration and RemainingDuration in seconds for
// a build of duration d seconds, elapsed e seconds into it, at progress p
// percent; ok is false when the API gives no estimate.
type Estimate struct {
	Name string
	Of   func(d, e, p float64) (total, remaining float64, ok bool)
}

// Estimates are the ways a server may estimate a build's duration.
var Estimates = []Estimate{
	{"clock", clock(1)},
	{"clock x0.5", clock(0.5)},
	{"clock x2", clock(2)},
	// What a server that only knows the progress can say.
	{"extrapolated", func(_, e, p float64) (float64, float64, bool) {
		if p <= 0 {
			return 0, 0, false
		}
		return e * 100 / p, e * (100 - p) / p, true
	}},
	// A clock's first answer, never updated.
	{"stale", func(d, _, _ float64) (float64, float64, bool) { return d, d, true }},
	{"none", func(_, _, _ float64) (float64, float64, bool) { return 0, 0, false }},
}

// clock counts down from factor times the true duration, and stays at 0 once run out.
func clock(factor float64) func(d, e, p float64) (float64, float64, bool) {
	return func(d, e, _ float64) (float64, float64, bool) {
		return factor * d, math.Max(0, factor*d-e), true
	}
}

// Build is one build: how its progress grows, how the API estimates it, and
// how long it takes to reach 100 %.
type Build struct {
	Shape    Shape
	Estimate Estimate
	Duration time.Duration
}

// Answer is what the progress API says about a build at one moment.
type Answer struct {
	Percent          float64 // two decimals; below 100 until the build is done
	Total, Remaining float64 // whole seconds; meaningful only when Estimated
	Estimated        bool
}

// At answers for the moment elapsed after the build started, rounded like the
// server: progress to two decimals and at most 99.99 before the end, estimates
// to whole seconds.
func (b Build) At(elapsed time.Duration) Answer {
	d, e := b.Duration.Seconds(), math.Max(0, elapsed.Seconds())
	a := Answer{Percent: 100}
	if e < d {
		a.Percent = math.Min(math.Round(b.Shape.Progress(e/d)*100)/100, 99.99)
	}
	total, remaining, ok := b.Estimate.Of(d, e, a.Percent)
	if ok {
		a.Total, a.Remaining, a.Estimated = math.Round(total), math.Round(remaining), true
	}
	return a
}

// Reaches returns the moment after the build started at which progress first
// reaches target percent: exact for 100, else to within a millisecond.
func (b Build) Reaches(target float64) time.Duration {
	lo, hi := time.Duration(0), b.Duration
	switch {
	case target >= 100:
		return b.Duration
	case b.At(0).Percent >= target:
		return 0
	}
	for hi-lo > time.Millisecond/2 {
		mid := lo + (hi-lo)/2
		if b.At(mid).Percent >= target {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
