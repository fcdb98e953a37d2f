// Package buildshape describes, as pure functions of time, the ways an image
// build's progress and the progress API's estimates evolve: straight lines,
// chunks, slowing down or speeding up near the end, a long tail at 99 %, a
// queue at 0 %, a pause; estimates that are a true clock, a clock off by a
// factor, an extrapolation of progress, a stale value, or absent.
//
// It is the one definition of these builds: the API emulator serves its
// builds' progress and estimates from it, and the schedule's tests simulate
// the same builds, so that what the tests check is what the benchmark
// measures.
package buildshape

import (
	"math"
	"time"
)

// Shape gives a build's progress as a fraction (0..1) of the way at fraction
// x (0..1) of its duration; it never decreases. Build.At makes it 100 % from
// x >= 1.
type Shape struct {
	Name     string // as the emulator's image file spells it
	Progress func(x float64) float64
}

// Shapes are the progress shapes seen on real builds.
var Shapes = []Shape{
	{"straight", linear(0, 0, 1, 1)},
	// 0, 25, 50, 75 % for a quarter of the time each, then 100 at the end.
	{"chunks", func(x float64) float64 { return math.Floor(x*4) / 4 }},
	// Fast start, slow end: 1-(1-x)³.
	{"fast-start", func(x float64) float64 { return 1 - (1-x)*(1-x)*(1-x) }},
	// Slow start, fast end: x³.
	{"slow-start", func(x float64) float64 { return x * x * x }},
	// 99 % at 40 % of the time, then nothing until the end.
	{"tail-99", linear(0, 0, 0.4, 0.99, 1, 0.99)},
	// 0 % for the first 30 % of the time, then a straight line.
	{"queued", linear(0, 0, 0.3, 0, 1, 1)},
	// 50 % at 35 % of the time, paused there until 65 %, then a straight line.
	{"pause", linear(0, 0, 0.35, 0.5, 0.65, 0.5, 1, 1)},
}

// ShapeNamed returns the shape of that name.
func ShapeNamed(name string) (Shape, bool) {
	for _, s := range Shapes {
		if s.Name == name {
			return s, true
		}
	}
	return Shape{}, false
}

// linear is the line through the points (x0, p0), (x1, p1), ... with increasing x.
func linear(points ...float64) func(x float64) float64 {
	return func(x float64) float64 {
		for i := 2; i < len(points); i += 2 {
			x0, p0, x1, p1 := points[i-2], points[i-1], points[i], points[i+1]
			if x <= x1 {
				return p0 + (p1-p0)*(x-x0)/(x1-x0)
			}
		}
		return points[len(points)-1]
	}
}

// EstimateFunc gives the API's TotalDuration and RemainingDuration in
// seconds, unrounded, for a build of duration d seconds, e seconds into it,
// at progress p percent; ok is false when the API gives no estimate.
type EstimateFunc func(d, e, p float64) (total, remaining float64, ok bool)

// Estimate is a named way of estimating.
type Estimate struct {
	Name string
	Of   EstimateFunc
}

// Estimates are the ways a server may estimate a build's duration, as the
// benchmark runs them.
var Estimates = []Estimate{
	{"clock", Clock(1)},
	{"clock x0.5", Clock(0.5)},
	{"clock x2", Clock(2)},
	{"extrapolate", Extrapolate},
	// A clock's first answer, never updated.
	{"stale", func(d, _, p float64) (float64, float64, bool) { return Clock(1)(d, 0, p) }},
	{"none", None},
}

// Clock counts down from factor times the true duration, and stays at 0 once run out.
func Clock(factor float64) EstimateFunc {
	return func(d, e, _ float64) (float64, float64, bool) {
		return factor * d, math.Max(0, factor*d-e), true
	}
}

// Extrapolate is what a server that only knows the progress can say:
// Remaining = e*(100-p)/p, Total = e + Remaining; both 0 while p is 0.
func Extrapolate(_, e, p float64) (float64, float64, bool) {
	if p <= 0 {
		return 0, 0, true
	}
	remaining := e * (100 - p) / p
	return e + remaining, remaining, true
}

// None gives no estimate.
func None(_, _, _ float64) (float64, float64, bool) { return 0, 0, false }

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

// Percent is the progress, rounded like the server (two decimals), of a build
// shaped s at fraction x of its duration: at most 99.99 before the end, so
// that progress never says 100 while the build runs, and 100 from x >= 1.
func Percent(s Shape, x float64) float64 {
	if x >= 1 {
		return 100
	}
	return math.Min(math.Round(s.Progress(math.Max(0, x))*100*100)/100, 99.99)
}

// At answers for the moment elapsed after the build started, rounded like the
// server: progress to two decimals and at most 99.99 before the end, estimates
// to whole seconds.
func (b Build) At(elapsed time.Duration) Answer {
	d, e := b.Duration.Seconds(), math.Max(0, elapsed.Seconds())
	a := Answer{Percent: Percent(b.Shape, e/d)}
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

// Informs reports whether the build tells when it ends: the API's estimate is
// a true clock, or progress moves during the last tenth of the build. The
// wait's lag targets are tighter on such builds (see the schedule's package
// documentation); on others, such as a long stay at 99 % without a true
// clock, no schedule can see the end sooner than polling at its calls' pace.
func (b Build) Informs() bool {
	return b.Estimate.Name == "clock" || Percent(b.Shape, 0.9) < Percent(b.Shape, 1-1e-9)
}
