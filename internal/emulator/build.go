package emulator

import (
	"cmp"
	"math"
	"time"
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

// shapes maps each shape to its progress fraction (0..1) at the time fraction
// t = elapsed/Total (0..1). Each is non-decreasing. "" is straight.
var shapes = map[Shape]func(t float64) float64{
	"":             linear(0, 0, 1, 1),
	ShapeStraight:  linear(0, 0, 1, 1),
	ShapeChunks:    func(t float64) float64 { return math.Floor(t*4) / 4 },
	ShapeFastStart: func(t float64) float64 { return 1 - (1-t)*(1-t)*(1-t) },
	ShapeSlowStart: func(t float64) float64 { return t * t * t },
	ShapeTail99:    linear(0, 0, 0.4, 0.99, 1, 0.99),
	ShapeQueued:    linear(0, 0, 0.3, 0, 1, 1),
	ShapePause:     linear(0, 0, 0.35, 0.5, 0.65, 0.5, 1, 1),
}

// ShapeNames lists the progress shapes.
func ShapeNames() []Shape {
	return []Shape{ShapeStraight, ShapeChunks, ShapeFastStart, ShapeSlowStart, ShapeTail99, ShapeQueued, ShapePause}
}

// linear is the line through the points (t0, p0), (t1, p1), ... with increasing t.
func linear(points ...float64) func(t float64) float64 {
	return func(t float64) float64 {
		for i := 2; i < len(points); i += 2 {
			t0, p0, t1, p1 := points[i-2], points[i-1], points[i], points[i+1]
			if t <= t1 {
				return p0 + (p1-p0)*(t-t0)/(t1-t0)
			}
		}
		return points[len(points)-1]
	}
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

	clock := func(at time.Duration) (total, remaining int64) {
		estimate := img.Total.Seconds() * cmp.Or(img.EstimateFactor, 1)
		return int64(math.Round(estimate)), max(0, int64(math.Round(estimate-at.Seconds())))
	}
	p.estimate = true
	switch img.Estimate {
	case EstimateNone:
		p.estimate = false
	case EstimateExtrapolate:
		if p.percent > 0 {
			remaining := elapsed.Seconds() * (100 - p.percent) / p.percent
			p.total, p.remaining = int64(math.Round(elapsed.Seconds()+remaining)), int64(math.Round(remaining))
		}
	case EstimateStale:
		var refreshed time.Duration
		if img.EstimateRefresh > 0 {
			refreshed = max(now.Sub(img.Start), 0).Truncate(img.EstimateRefresh)
		}
		p.total, p.remaining = clock(refreshed)
	default:
		p.total, p.remaining = clock(elapsed)
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
	return min(round2(shapes[img.Shape](float64(elapsed)/float64(img.Total))*100), 99.99)
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

func round2(f float64) float64 { return math.Round(f*100) / 100 }
