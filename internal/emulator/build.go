package emulator

import (
	"cmp"
	"math"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
)

// Shape names how a build's progress grows between its start and Start+Total.
// Real builds do not grow evenly: they move in chunks, slow down or speed up,
// sit at 99 %, wait in a queue or pause.
type Shape string

// The progress shapes. Whatever the shape, progress reads 100 exactly at Start+Total
// and never before.
const (
	ShapeStraight  Shape = "straight"   // even growth
	ShapeChunks    Shape = "chunks"     // 0, 25, 50, 75 % for a quarter of the time each, then 100
	ShapeFastStart Shape = "fast-start" // fast start, slow end: 1-(1-t)³
	ShapeSlowStart Shape = "slow-start" // slow start, fast end: t³
	ShapeTail99    Shape = "tail-99"    // 99 % at 40 % of the time, then sits at 99 until the end
	ShapeQueued    Shape = "queued"     // queued at 0 % for 30 % of the time, then even growth
	ShapePause     Shape = "pause"      // 50 % at 35 % of the time, paused there until 65 %, then even growth
)

// shape returns the progress shape named s ("" is straight): the emulator's
// builds are buildshape's, which the schedule's tests simulate.
func shape(s Shape) (buildshape.Shape, bool) {
	return buildshape.ShapeNamed(string(cmp.Or(s, ShapeStraight)))
}

func (img Image) knownShape() bool {
	_, ok := shape(img.Shape)
	return ok
}

// ShapeNames lists the progress shapes.
func ShapeNames() []Shape {
	return []Shape{ShapeStraight, ShapeChunks, ShapeFastStart, ShapeSlowStart, ShapeTail99, ShapeQueued, ShapePause}
}

// EstimateMode names how a progress answer's TotalDuration and RemainingDuration
// (seconds) are made.
type EstimateMode string

// The estimate modes.
const (
	// EstimateClock is the true build duration times EstimateFactor, and that minus
	// the time elapsed (at least 0; 0 once done).
	EstimateClock EstimateMode = "clock"
	// EstimateExtrapolate is what a backend that only knows the progress p (percent)
	// answers: RemainingDuration = elapsed*(100-p)/p, TotalDuration = elapsed +
	// RemainingDuration; both 0 while p is 0.
	EstimateExtrapolate EstimateMode = "extrapolate"
	// EstimateStale is the clock estimate as it was at its last refresh: at Start and
	// then every EstimateRefresh (never, if 0). It stays stale after the build ends.
	EstimateStale EstimateMode = "stale"
	// EstimateNone leaves both durations out of the answer.
	EstimateNone EstimateMode = "none"
)

// EstimateModes lists the estimate modes.
func EstimateModes() []EstimateMode {
	return []EstimateMode{EstimateClock, EstimateExtrapolate, EstimateStale, EstimateNone}
}

// progress is what the API reports about a build at one moment.
type progress struct {
	percent          float64 // 0..100, two decimals
	estimate         bool    // false: no durations in the answer
	total, remaining int64   // estimated seconds, as reported
	done, failed     bool
}

func (img Image) progressAt(now time.Time) progress {
	elapsed := max(now.Sub(img.Start), 0)
	var p progress
	if failAt, fails := img.failsAt(); fails && elapsed >= failAt {
		// A failed build stays frozen where it stopped.
		elapsed, p.failed = failAt, true
	}
	p.percent = img.percentAt(elapsed)
	p.done = !p.failed && elapsed >= img.Total

	d := img.Total.Seconds()
	estimate := func(of buildshape.EstimateFunc, at time.Duration) {
		total, remaining, ok := of(d, at.Seconds(), p.percent)
		p.estimate, p.total, p.remaining = ok, int64(math.Round(total)), int64(math.Round(remaining))
	}
	clock := buildshape.Clock(cmp.Or(img.EstimateFactor, 1))
	switch img.Estimate {
	case EstimateNone:
		estimate(buildshape.None, elapsed)
	case EstimateExtrapolate:
		estimate(buildshape.Extrapolate, elapsed)
	case EstimateStale:
		var refreshed time.Duration
		if img.EstimateRefresh > 0 {
			refreshed = max(now.Sub(img.Start), 0).Truncate(img.EstimateRefresh)
		}
		estimate(clock, refreshed)
	default:
		estimate(clock, elapsed)
		if p.done {
			p.remaining = 0
		}
	}
	return p
}

// percentAt is the progress elapsed after Start: below 100 until the build is
// really done, so that progress never says 100 while the build runs.
func (img Image) percentAt(elapsed time.Duration) float64 {
	if elapsed >= img.Total {
		return 100
	}
	s, _ := shape(img.Shape)
	return buildshape.Percent(s, float64(elapsed)/float64(img.Total))
}

// reaches is the first moment after Start when progress reaches percent, found by
// bisection since every shape is non-decreasing.
func (img Image) reaches(percent float64) time.Duration {
	lo, hi := time.Duration(0), img.Total // percentAt(hi) = 100 >= percent
	for lo < hi {
		mid := lo + (hi-lo)/2
		if img.percentAt(mid) >= percent {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}
