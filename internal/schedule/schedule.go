// Package schedule decides how long to wait between polls of an image build's
// progress, so that the end is seen soon after it happens without many calls.
//
// The adaptive schedule predicts when progress reaches the target and spends
// its calls near that moment:
//
//   - Rate: percent per second measured since an anchor observation and over
//     the last interval; the faster of the two wins, so a stall hidden between
//     two polls cannot stretch the estimate. Before progress moves, the API's
//     own numbers (see ETA) stand in.
//   - Trust: a rate is trusted only once it predicted the next observation
//     within 5 %, or the pace of the last interval agrees within 5 % with the
//     API's estimate. Until then the schedule sleeps half of the shorter of
//     its estimate and the API's, so an estimate up to twice the truth (an
//     API Total 1.6x too long, a rate measured across an unseen queue) is not
//     overshot. A failed prediction moves the anchor, so a build that changed
//     pace is re-measured.
//   - Trusted: the rate may still err by 5 %. Once 5 % of the ETA is under a
//     second (an ETA of 20 s or less), poll at the predicted end; before,
//     wake that 5 % early and measure again. A 24-s build costs three calls
//     (first answer, confirmation halfway, end), with a lag well under a
//     second.
//   - No movement: back off exponentially from 1 s, but not past the predicted
//     end; after it, poll every second, then every 1/8 of the overrun, so the lag
//     stays a small fraction of the unexpected wait.
//   - Every delay is clamped to [MinInterval, maxInterval].
package schedule

import (
	"math"
	"time"
)

const (
	// MinInterval is the shortest wait: it bounds the load on the API, and at
	// half the 1-s lag goal it is fine enough to catch the end.
	MinInterval = 500 * time.Millisecond
	// DefaultMaxInterval bounds the lag when progress jumps unforeseen (a stall
	// that resumes straight to 100 %) to a small share of a multi-minute build,
	// while a build stuck for an hour costs only about 120 calls.
	DefaultMaxInterval = 30 * time.Second
)

const (
	stallBase = time.Second // first wait after progress did not move
	tolerance = 0.05        // prediction error, as a share of the predicted move, that still confirms a rate
	overShare = 8           // past the predicted end, wait 1/overShare of the overrun
	// aimWithin is the lag goal: once a trusted rate's possible error
	// (tolerance of the ETA) is below it, the next poll aims at the end itself.
	aimWithin = time.Second
	// endSlack makes the final poll land a hair after the predicted end rather
	// than, by rounding, a hair before it, which would cost a call and MinInterval of lag.
	endSlack = 50 * time.Millisecond
)

// Observation is one answer of the progress API.
type Observation struct {
	At        time.Time     // when the answer arrived
	Progress  float64       // percent, 0..100
	Total     time.Duration // API's estimated total; negative when the API gave none
	Remaining time.Duration // API's estimated time left; negative when the API gave none
}

// Schedule decides how long to wait before the next poll. One value serves one
// wait; it is told every observation in order.
type Schedule interface {
	Next(o Observation) time.Duration
}

// NewFixed returns a baseline that always waits interval.
func NewFixed(interval time.Duration) Schedule { return fixed(interval) }

type fixed time.Duration

func (f fixed) Next(Observation) time.Duration { return time.Duration(f) }

// NewAdaptive returns the schedule described in the package documentation for
// waiting until progress reaches target percent. maxInterval <= 0 selects
// DefaultMaxInterval; a value below MinInterval is raised to it.
func NewAdaptive(target float64, maxInterval time.Duration) Schedule {
	if maxInterval <= 0 {
		maxInterval = DefaultMaxInterval
	}
	return &adaptive{target: clampPercent(target), maxInterval: max(maxInterval, MinInterval)}
}

type adaptive struct {
	target      float64
	maxInterval time.Duration

	started      bool
	prev, anchor Observation // last observation; start of the current rate measurement
	rate         float64     // percent per second expected for the coming wait; 0 when unknown
	trusted      bool        // rate predicted the last observation
	due          time.Time   // predicted arrival at target; zero when unknown
	idle         int         // consecutive observations without movement
}

func (a *adaptive) Next(o Observation) time.Duration {
	o.Progress = clampPercent(o.Progress)
	if o.Progress >= a.target {
		return MinInterval // done: the caller stops polling
	}
	if !a.started {
		a.started, a.prev, a.anchor = true, o, o
		eta, ok := ETA(o, a.target)
		if !ok || eta <= 0 {
			a.idle = 1
			return a.clamp(stallBase)
		}
		a.rate = (a.target - o.Progress) / eta.Seconds()
		return a.plan(o, eta.Seconds())
	}
	prev := a.prev
	a.prev = o
	if o.Progress <= prev.Progress || !o.At.After(prev.At) {
		return a.stalled(o)
	}
	a.idle = 0
	dt := o.At.Sub(prev.At).Seconds()
	moved, predicted := o.Progress-prev.Progress, a.rate*dt
	api, apiOK := ETA(o, a.target)
	// The API's estimate agreeing with the pace of the last interval confirms
	// it as well as a prediction: the first prediction comes from an API
	// estimate that whole-second rounding makes noisy early in a build.
	lastETA := (a.target - o.Progress) / (moved / dt)
	a.trusted = a.rate > 0 && math.Abs(moved-predicted) <= tolerance*predicted ||
		apiOK && math.Abs(api.Seconds()-lastETA) <= tolerance*lastETA
	a.rate = math.Max(moved/dt, (o.Progress-a.anchor.Progress)/o.At.Sub(a.anchor.At).Seconds())
	eta := (a.target - o.Progress) / a.rate
	if !a.trusted {
		a.anchor = prev
		// The measured rate may include an unseen queue or stall before the
		// build moved; the API's estimate, if shorter, bounds the risk.
		if apiOK {
			eta = math.Min(eta, api.Seconds())
		}
	}
	return a.plan(o, eta)
}

// plan returns the wait for an ETA in seconds from o.
func (a *adaptive) plan(o Observation, eta float64) time.Duration {
	a.due = o.At.Add(seconds(eta))
	if !a.trusted {
		return a.clamp(seconds(eta / 2))
	}
	if margin := eta * tolerance; margin > aimWithin.Seconds() {
		// Wake as early as the rate may err, and measure it again.
		return a.clamp(seconds(eta - margin))
	}
	return a.clamp(seconds(eta + endSlack.Seconds()))
}

func (a *adaptive) stalled(o Observation) time.Duration {
	// A rate measured across the stall would understate the pace once the
	// build resumes.
	a.anchor, a.trusted = o, false
	if !a.due.IsZero() && !o.At.Before(a.due) {
		return a.clamp(max(time.Second, o.At.Sub(a.due)/overShare))
	}
	d := stallBase << min(a.idle, 20) // the cap only prevents overflow; clamp bounds d
	a.idle++
	if !a.due.IsZero() {
		d = min(d, a.due.Sub(o.At))
	}
	return a.clamp(d)
}

func (a *adaptive) clamp(d time.Duration) time.Duration {
	return min(max(d, MinInterval), a.maxInterval)
}

// ETA estimates from one observation the time until progress reaches target
// percent; ok is false when the observation carries no estimate. It uses the
// rate implied by the API's own elapsed time (Total - Remaining) and the API's
// Remaining scaled to target, and returns the shorter: the implied rate
// corrects a wrong Total, Remaining bounds an implied rate made noisy by
// whole-second rounding early in the build. A Remaining of 0 before the target
// only says the API's estimate ran out, so it is ignored.
func ETA(o Observation, target float64) (time.Duration, bool) {
	p, target := clampPercent(o.Progress), clampPercent(target)
	if p >= target {
		return 0, true
	}
	eta, ok := math.Inf(1), false
	if p > 0 && o.Remaining >= 0 && o.Total > o.Remaining {
		eta, ok = (target-p)/p*(o.Total-o.Remaining).Seconds(), true
	}
	if o.Remaining > 0 {
		eta, ok = math.Min(eta, o.Remaining.Seconds()*(target-p)/(100-p)), true
	}
	if !ok {
		return 0, false
	}
	return seconds(eta), true
}

// clampPercent maps p into [0, 100]; NaN becomes 0.
func clampPercent(p float64) float64 {
	if !(p > 0) {
		return 0
	}
	return math.Min(p, 100)
}

// seconds converts s seconds to a Duration, saturating instead of overflowing.
func seconds(s float64) time.Duration {
	ns := s * float64(time.Second)
	switch {
	case !(ns > 0):
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(ns)
}
