// Package schedule decides how long to wait between polls of an image build's
// progress, so that the end is seen soon after it happens without many calls.
//
// The contract, in one paragraph: counted from its first answer, a wait
// never calls the API faster than fixed polling every 5 s would
// (BudgetInterval; status lookups count too), so the calls it saves while the
// build is far from its end pay for polls close together near it. Each answer
// gives an estimate of the end: the API's own clock while its Remaining
// counts down like one, else the pace of the latest moves of progress. The
// next poll comes halfway to the earliest plausible end while the estimate is
// unproven, 5 % early to check a proven one, and just after the end once the
// check is within a second or no call is left for one; while progress stands
// still, after 1, 2, 4 ... s, and past a predicted end every 1/8 of the
// overrun (1 to 5 s). Every pause is within [MinInterval, max_poll_interval]
// and no sooner than the budget allows. Next returns the pause with its
// reason, which the provider logs at debug level (next_poll_in,
// next_poll_reason, with TF_LOG_PROVIDER=DEBUG):
//
//	no estimate yet               the first answer carries none: 1 s
//	half the first estimate       the first answer's estimate, halved, and no later than the build's age by the API's account or 5 s, whichever is longer
//	half an untrusted estimate    the model has not yet predicted a move: halfway to its end, and no later than half the time the wait has run or 5 s, whichever is longer (5 s after a resume)
//	check before the predicted end  a trusted model: 5 % early, to measure again
//	predicted end                 the end, once a check would be within a second
//	last shot at the end          no call left for a check: as late as still within 1.5 s of the earliest end
//	end of the API's clock        a true clock's end, when no call is left for a check before it
//	next step                     progress moves in steps: the next one's window; in the last one's, every 1 s, or as often as the calls the budget allows by its end
//	no movement, backing off      progress stood still: 1, 2, 4 ... s
//	past the predicted end        overdue: every 1/8 of the overrun, 1 to 5 s
//	call budget                   the pause the budget asks for is longer than the reason's
//	max poll interval             clamped to max_poll_interval
//	fixed interval                COMPSHARE_WAIT_SCHEDULE=fixed:N (a benchmarking aid)
//
// Each line's reason is for the next call. A pause raised to MinInterval
// keeps its reason. The wait (internal/imagewait) adds the status lookups,
// which count in the budget, and their reasons:
//
//	status lookup: has the build failed?     due max(10 s, 10 % of the wait so far), up to max_poll_interval, after the last sign of life (a lookup, or progress that moved)
//	status lookup: listed as Available yet?  at 99.99 % or 100 %: at once (0.5 s after a lookup); at 99.99 %, then up to the earliest end predicted before it (EarliestEnd) at most 5 s apart, then every 1 s; at 100 %, every 2.5 s; while the calls saved last, then at the budget's pace
//	status lookup: the progress action refuses the image  the status alone decides, at the budget's pace
//
// The wait's last line has no next call (0 s, no reason). Lookups also come
// unnamed, in the same turn as a poll: before it when the build is expected
// over (at a true API clock's end) and the budget allows both, so that a
// finished build ends the wait with one call; and at once when progress
// stops at 99 % or more. A poll and a lookup of one turn are logged
// together, poll first, with the same next call. When the budget allows one
// call only, a lookup takes the slot of the poll due (when the build is
// expected over, or a lookup for failure is due before the budget's slot
// after the next), and the poll is planned anew.
//
// The details behind those words:
//
//   - Model: the line through the last two progress values seen, or the
//     parabola through the last three, so that a build speeding up or slowing
//     down is followed. After a stall only the interval of the resume counts.
//   - Trust: the model is trusted once it predicted the next value within 5 %,
//     or the API's estimate agrees with it within 5 % (plus the API's
//     whole-second rounding). A model trusted only for agreeing with the API,
//     and the first answer's estimate, are measured again after no longer than
//     the build has run by the API's account.
//   - Untrusted: the earliest plausible end is the soonest of the model's, the
//     fastest recent pace's and the API clock's; the schedule sleeps half of
//     the way, and no longer than half the time the wait has run, so a slow
//     start cannot send it far past the end.
//   - Slowing down: a build whose last three values fit target - p =
//     A*(end - t)^k, as a fast-start build's crawl toward 100 % does, is
//     given that end instead, if later (taken at the earliest that the
//     values' two-decimal rounding allows, and never after a true API
//     clock's end); a stop is still judged against the earliest plausible
//     end. Without it the untrusted model, a tangent, halves its way to an
//     end three times too soon again and again, and spends the calls the
//     end needs.
//   - Status lookups: the wait tells the schedule of each one
//     (Observation.Lookup). It counts in the budget; the poll planned
//     before it keeps its time and reason (or the budget's next slot, if
//     the lookup took the poll's), unless the lookup left no call for a
//     check before a true API clock's end: the poll then moves to that end.
//   - API clock: Total unchanged and Remaining shorter by the time passed on
//     consecutive answers, toward target 100; a stale value or an
//     extrapolation of progress does not count. Its end is narrowed by every
//     answer's whole-second rounding. It is dropped for good once it runs out
//     (Remaining 0 before its last half second) or overruns by a second, so a
//     clock off by 0.5x is survived; one off by 2x only loses to progress
//     models that end sooner.
//   - Steps: progress that jumps after standing still (or by whole steps)
//     times each jump; pairs of jumps bound the period, which predicts the
//     next step. A jump of another size starts a new series.
//
// Where the build gives no information on its end (a long stay at 99 %
// without a true clock, a delay between 100 % and Available), no schedule
// can see the end sooner than polling at the budget's pace: the wait then
// sees it within about 5 s, as fixed 5-s polling does. The targets on builds
// of minutes are checked in internal/imagewait/shapes_test.go.
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
	// that resumes straight to 100 %) to a small share of a multi-minute build.
	DefaultMaxInterval = 30 * time.Second
)

const (
	tolerance = 0.05 // prediction error, as a share of the predicted move, that still confirms a rate
	overShare = 8    // past the predicted end, wait 1/overShare of the overrun
	// aimWithin is the lag goal: once a trusted model's possible error
	// (tolerance of the ETA) is below it, the next poll aims at the end itself.
	aimWithin = time.Second
	// endSlack makes the final poll land a hair after the predicted end rather
	// than, by rounding, a hair before it, which would cost a call and MinInterval of lag.
	endSlack = 50 * time.Millisecond
	// Rounding is the error of the API's estimates, which are whole seconds.
	Rounding = 500 * time.Millisecond
	// shotWindow is how much later than the earliest plausible end a last
	// poll may aim, to catch a later end the model predicts.
	shotWindow = 1500 * time.Millisecond
	// denseInterval is the pace of dense polling, and the first pause after
	// progress stood still.
	denseInterval = time.Second
	// resolution is the step of the API's progress, in percent: two decimals.
	resolution = 0.01
)

// Observation is one answer of the progress API.
type Observation struct {
	At        time.Time     // when the answer arrived
	Progress  float64       // percent, 0..100
	Total     time.Duration // API's estimated total; negative when the API gave none
	Remaining time.Duration // API's estimated time left; negative when the API gave none
	// Calls is how many calls the caller has made so far, this answer's
	// and any status lookups included: the call budget counts them all.
	// 0: the schedule counts its observations.
	Calls int
	// Lookup says that the call was a status lookup, not a progress poll:
	// only At and Calls are new. Next then returns the pause until the
	// poll it planned, moved by the call budget, or to the end of a true
	// API clock when the lookup left no call for a check before it.
	Lookup bool
}

// BudgetInterval is the pace of the call budget: counted from the first
// answer, calls never come faster than fixed polling every BudgetInterval
// would make them, so that the calls saved early pay for dense polling near
// the end.
const BudgetInterval = 5 * time.Second

// Budget is the call budget of one wait, which began at Start.
type Budget struct{ Start time.Time }

// At returns the earliest moment of call n (counted from 1) that keeps the
// calls within those of fixed polling every BudgetInterval.
func (b Budget) At(n int) time.Time { return b.Start.Add(time.Duration(n-1) * BudgetInterval) }

// CallsBy returns how many calls the budget allows by t: the n for which
// At(n) is t or earlier (0 before Start).
func (b Budget) CallsBy(t time.Time) int {
	if t.Before(b.Start) {
		return 0
	}
	return int(t.Sub(b.Start)/BudgetInterval) + 1
}

// Schedule decides how long to wait before the next poll. One value serves one
// wait; it is told every observation in order.
type Schedule interface {
	// Next returns the delay before the next poll and why it is that long,
	// in a few words (the wait logs both).
	Next(o Observation) (delay time.Duration, reason string)
}

// NewFixed returns a baseline that always waits interval.
func NewFixed(interval time.Duration) Schedule { return fixed(interval) }

type fixed time.Duration

func (f fixed) Next(Observation) (time.Duration, string) { return time.Duration(f), "fixed interval" }

// MaxInterval is the longest pause for a requested max_poll_interval: the
// one place where it gets its default and lower bound. requested <= 0
// selects DefaultMaxInterval; a value below MinInterval is raised to it.
func MaxInterval(requested time.Duration) time.Duration {
	if requested <= 0 {
		return DefaultMaxInterval
	}
	return max(requested, MinInterval)
}

// NewAdaptive returns the schedule described in the package documentation for
// waiting until progress reaches target percent, with pauses no longer than
// MaxInterval(maxInterval).
func NewAdaptive(target float64, maxInterval time.Duration) *Adaptive {
	return &Adaptive{target: clampPercent(target), maxInterval: MaxInterval(maxInterval)}
}

// Adaptive is the schedule described in the package documentation.
type Adaptive struct {
	target      float64
	maxInterval time.Duration

	budget     Budget      // counted from the first observation
	planned    time.Time   // when the next poll is due, as last returned
	plannedWhy string      // and why
	calls      int         // calls so far: observations, or Observation.Calls
	levels     []level     // latest distinct progress values, oldest first; at most 3
	prev       Observation // latest observation
	idle       int         // consecutive observations without movement
	trusted    bool        // the progress model predicted the latest movement, or agrees with the API's clock
	verified   bool        // the progress model predicted the latest movement
	due        time.Time   // end predicted by the progress model; zero when unknown
	apiEnd     time.Time   // end predicted by the API's clock; zero when unknown
	earliest   time.Time   // earliest plausible end, by the latest move of progress; zero before one

	// The API's clock, trusted while it counts down like one: its end lies
	// in [clockLo, clockHi] (each answer's whole-second rounding narrows it).
	clockLo, clockHi time.Time
	clockOK          bool // counted down on the latest two answers; its end has not passed
	clockBroken      bool // it ran out or overran before the target: never trusted again

	// Steps: progress that jumps after standing still, as real builds do at
	// regular intervals. Each jump happened within its bracket.
	jumps []jump
	unit  float64 // size of the first jump, percent: a jump of k units is k steps
}

// jump is a step of progress seen between two answers: it happened in (lo, hi].
type jump struct {
	lo, hi time.Time
	n      int // steps since the first jump
}

// level is a progress value and when it was first seen.
type level struct {
	at time.Time
	p  float64
}

var _ Schedule = (*Adaptive)(nil)

// Next returns the pause before the next poll and its reason, as the package
// documentation describes.
func (a *Adaptive) Next(o Observation) (time.Duration, string) {
	o.Progress = clampPercent(o.Progress)
	if o.Progress >= a.target {
		return MinInterval, "target reached" // the caller stops polling
	}
	a.calls = max(a.calls+1, o.Calls)
	if o.Lookup {
		if a.clockDecides(o) {
			return a.wait(o, a.clockHi.Add(endSlack).Sub(o.At), "end of the API's clock")
		}
		return a.wait(o, a.planned.Sub(o.At), a.plannedWhy)
	}
	if a.prev.At.IsZero() {
		a.budget, a.prev, a.levels = Budget{o.At}, o, []level{{o.At, o.Progress}}
		eta, ok := ETA(o, a.target)
		if !ok || eta <= 0 {
			return a.wait(o, denseInterval, "no estimate yet")
		}
		a.due = o.At.Add(eta)
		// One answer cannot confirm its estimate: measure again after no
		// longer than the build has run by the API's account, or than
		// fixed polling would, for a build that by that account has
		// just started (any estimate of it is a guess).
		if o.Total >= o.Remaining && o.Remaining >= 0 {
			eta = min(eta, 2*max(o.Total-o.Remaining, BudgetInterval))
		}
		return a.wait(o, eta/2, "half the first estimate")
	}
	prev := a.prev
	a.prev = o
	last := a.levels[len(a.levels)-1]
	if !o.At.After(prev.At) {
		return a.stalled(o)
	}
	a.readClock(prev, o)
	if o.Progress <= last.p {
		return a.stalled(o)
	}
	if size := o.Progress - last.p; a.idle > 0 || a.isStep(size) {
		a.addJump(prev.At, o.At, size)
	}
	resumed := a.idle > 0
	if resumed {
		// Resumed after a stall: only the last interval measures the pace.
		a.levels, a.trusted = []level{{prev.At, last.p}}, false
	} else {
		predicted, ok := a.model(o.At)
		a.trusted = ok && math.Abs(o.Progress-predicted) <= tolerance*(predicted-last.p)
	}
	a.verified = a.trusted
	a.idle = 0
	a.levels = append(a.levels, level{o.At, o.Progress})
	if len(a.levels) > 3 {
		a.levels = a.levels[1:]
	}
	// Candidate ETAs in seconds: the model's, the fastest recent pace's,
	// the API's clock.
	model, fastest := a.modelETA(), (a.target-o.Progress)/a.fastestSlope()
	lo, hi := math.Min(model, fastest), math.Max(model, fastest)
	eta := model
	if !a.trusted {
		// A shape the model has not predicted may still keep its fastest
		// recent pace (a pause between the levels): plan for that.
		eta = lo
	}
	a.due = o.At.Add(seconds(eta))
	if !a.trusted {
		if slowing, ok := a.slowingETA(); ok {
			eta = math.Max(eta, slowing)
		}
	}
	if end, ok := ClockEnd(prev, o, a.target); ok {
		api := end.Sub(o.At).Seconds()
		a.trusted = a.trusted || math.Abs(api-eta) <= tolerance*eta+Rounding.Seconds()
		eta, lo, hi = math.Min(eta, api), math.Min(lo, api), math.Max(hi, api)
	}
	a.earliest = o.At.Add(seconds(eta))
	if a.clockOK {
		// eta took the clock's end as read; its rounding allows sooner.
		a.earliest = minTime(a.earliest, a.clockLo)
	}
	if a.clockDecides(o) {
		return a.wait(o, a.clockHi.Add(endSlack).Sub(o.At), "end of the API's clock")
	}
	if a.budget.At(a.calls + 2).After(o.At.Add(seconds(eta)).Add(aimWithin)) {
		// No call to spare for a check before the end: one shot, as late
		// in the candidates' spread as it may be and still see an end at
		// the earliest in time.
		return a.wait(o, seconds(math.Min(hi, lo+shotWindow.Seconds())+endSlack.Seconds()), "last shot at the end")
	}
	return a.plan(o, eta, resumed)
}

// EarliestEnd returns the earliest moment at which progress may reach the
// target, as predicted from the latest observation in which progress moved:
// the model's end (the soonest candidate while the model is untrusted, and
// no sooner than a slowing build's), or a true API clock's earliest end if
// sooner. Observations in which progress stood still leave it as it was. ok
// is false before progress first moved.
func (a *Adaptive) EarliestEnd() (end time.Time, ok bool) {
	return a.earliest, !a.earliest.IsZero()
}

// model returns the progress the model predicts at t: the line through the
// last two levels, or the parabola through the last three.
func (a *Adaptive) model(t time.Time) (float64, bool) {
	n := len(a.levels)
	if n < 2 {
		return 0, false
	}
	l2, l3 := a.levels[n-2], a.levels[n-1]
	u := t.Sub(l3.at).Seconds()
	s23 := (l3.p - l2.p) / l3.at.Sub(l2.at).Seconds()
	return l3.p + s23*u + a.curvature()*u*(u-l2.at.Sub(l3.at).Seconds()), true
}

// curvature returns the parabola's second coefficient (percent per second squared); 0 for a line.
func (a *Adaptive) curvature() float64 {
	n := len(a.levels)
	if n < 3 {
		return 0
	}
	l1, l2, l3 := a.levels[n-3], a.levels[n-2], a.levels[n-1]
	s12 := (l2.p - l1.p) / l2.at.Sub(l1.at).Seconds()
	s23 := (l3.p - l2.p) / l3.at.Sub(l2.at).Seconds()
	return (s23 - s12) / l3.at.Sub(l1.at).Seconds()
}

// modelETA returns the seconds from the last level until the model reaches
// the target. A parabola that turns before the target gives way to its
// tangent at the last level.
func (a *Adaptive) modelETA() float64 {
	n := len(a.levels)
	l2, l3 := a.levels[n-2], a.levels[n-1]
	s23 := (l3.p - l2.p) / l3.at.Sub(l2.at).Seconds()
	c := a.curvature()
	b := s23 + c*l3.at.Sub(l2.at).Seconds() // slope at the last level
	if b <= 0 {
		b, c = s23, 0
	}
	rest := a.target - l3.p
	if disc := b*b + 4*c*rest; disc >= 0 {
		return 2 * rest / (b + math.Sqrt(disc))
	}
	return rest / b
}

// slowingETA returns the seconds from the last level until the target for
// a build whose distance to the target shrinks as a power of the time left,
// target - p = A*(end - t)^k, through the last three levels: a straight line
// is k = 1, a fast-start build's slow end k > 1. Of the ends that the levels'
// rounding to the API's two decimals (resolution) allows, it returns the
// earliest; ok is false when the levels fit no such end: progress not
// rising through them, or speeding up more than any power allows.
func (a *Adaptive) slowingETA() (float64, bool) {
	n := len(a.levels)
	if n < 3 {
		return 0, false
	}
	l1, l2, l3 := a.levels[n-3], a.levels[n-2], a.levels[n-1]
	// The earliest end has the least slowing down: the first move as
	// short as the rounding allows, the second as long. In steps of the
	// API's resolution, so that equal moves compare equal.
	steps := func(p float64) float64 { return math.Round((a.target - p) / resolution) }
	r1, r2, r3 := steps(l1.p)-0.5, steps(l2.p)+0.5, steps(l3.p)-0.5
	if !(r1 > r2 && r2 > r3 && r3 > 0) {
		return 0, false
	}
	t1, t2 := l1.at.Sub(l3.at).Seconds(), l2.at.Sub(l3.at).Seconds() // before l3: negative
	q := math.Log(r1/r2) / math.Log(r2/r3)
	// g(x) = log((x-t1)/(x-t2)) / log((x-t2)/x) grows with x, the time
	// left after l3, from 0 toward (t2-t1)/-t2; it equals q at the end.
	g := func(x float64) float64 { return math.Log((x-t1)/(x-t2)) / math.Log((x-t2)/x) }
	lo, hi := math.Log(1e-3), math.Log(1e7) // seconds left: 1 ms to 100 days
	if g(math.Exp(hi)) < q {
		return 0, false
	}
	for range 40 { // the end to within 2^-40 of the log range: far below a millisecond
		mid := (lo + hi) / 2
		if g(math.Exp(mid)) < q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Exp(hi), true
}

// fastestSlope returns the fastest pace, in percent per second, between consecutive levels.
func (a *Adaptive) fastestSlope() float64 {
	fastest := 0.0
	for i := 1; i < len(a.levels); i++ {
		l1, l2 := a.levels[i-1], a.levels[i]
		fastest = math.Max(fastest, (l2.p-l1.p)/l2.at.Sub(l1.at).Seconds())
	}
	return fastest
}

// ClockEnd returns when the API's estimate says target percent is reached,
// if the estimate counts down like a clock from prev to o: Total unchanged,
// Remaining shorter by the time passed (both within the API's whole-second
// rounding). The end is Remaining scaled to target, known to within
// Rounding either way.
func ClockEnd(prev, o Observation, target float64) (time.Time, bool) {
	if o.Remaining <= 0 || o.Total < 0 || prev.Remaining < 0 || prev.Total < 0 {
		return time.Time{}, false
	}
	passed := o.At.Sub(prev.At)
	if (o.Total-prev.Total).Abs() > time.Second || (prev.Remaining-o.Remaining-passed).Abs() > time.Second {
		return time.Time{}, false
	}
	return o.At.Add(seconds(o.Remaining.Seconds() * (target - o.Progress) / (100 - o.Progress))), true
}

// plan returns the wait for an ETA in seconds from o; resumed says that
// progress moved again after standing still.
func (a *Adaptive) plan(o Observation, eta float64, resumed bool) (time.Duration, string) {
	ran := o.At.Sub(a.budget.Start)
	if o.Total > o.Remaining && o.Remaining >= 0 {
		ran = max(ran, o.Total-o.Remaining) // the build's age by the API's account
	}
	if !a.trusted {
		// An estimate from a slow start, or from a pace that counts
		// time before a resume, may be far too long: measure again
		// after at most half the time the wait has run, or
		// as soon as fixed polling would, if later.
		limit := max(o.At.Sub(a.budget.Start)/2, BudgetInterval)
		if resumed {
			limit = BudgetInterval
		}
		return a.wait(o, min(seconds(eta/2), limit), "half an untrusted estimate")
	}
	if !a.verified {
		// Trusted only for agreeing with the API, which a build that
		// speeds up may do by chance: measure again as an untrusted
		// estimate would, or after as long as the build has run.
		limit := max(o.At.Sub(a.budget.Start)/2, BudgetInterval)
		eta = min(eta, min(ran, limit).Seconds()+eta*tolerance)
	}
	if margin := eta * tolerance; margin > aimWithin.Seconds() {
		// Wake as early as the rate may err, and measure it again.
		return a.wait(o, seconds(eta-margin), "check before the predicted end")
	}
	return a.wait(o, seconds(eta+endSlack.Seconds()), "predicted end")
}

func (a *Adaptive) stalled(o Observation) (time.Duration, string) {
	a.idle++
	a.trusted, a.verified = false, false
	if a.clockDecides(o) {
		return a.wait(o, a.clockHi.Add(endSlack).Sub(o.At), "end of the API's clock")
	}
	if lo, hi, ok := a.nextJump(); ok && hi.Add(aimWithin).After(o.At) {
		// Steps come at regular intervals: sleep until the next may come,
		// then poll until it does: densely for the last step, which ends
		// the wait, else just often enough to time the step better.
		every := denseInterval
		if o.Progress+a.unit < a.target-1e-9 {
			every = min(max(hi.Sub(lo)/4, denseInterval), BudgetInterval)
		} else if left := a.budget.CallsBy(hi) - a.calls; left > 0 {
			// Densely, but no faster than the calls the budget allows
			// by the window's end can keep up: polls every second from
			// a window's early start ran out of calls before the step.
			every = max(every, hi.Sub(o.At)/time.Duration(left))
		}
		return a.final(o, max(lo.Sub(o.At), every), "next step")
	}
	d, reason := a.overdue(o)
	return a.final(o, d, reason)
}

// final returns d, or the wait until the trusted clock's end if that comes sooner.
func (a *Adaptive) final(o Observation, d time.Duration, reason string) (time.Duration, string) {
	if end := a.clockHi.Add(endSlack).Sub(o.At); a.clockOK && end < d {
		d, reason = end, "end of the API's clock"
	}
	return a.wait(o, d, reason)
}

// overdue returns the wait while progress stands still and no step or
// clock tells when it moves.
func (a *Adaptive) overdue(o Observation) (time.Duration, string) {
	var next, passed time.Time // earliest predicted end ahead; latest one behind
	for _, end := range []time.Time{a.due, a.apiEnd} {
		switch {
		case end.IsZero():
		case end.After(o.At):
			if next.IsZero() || end.Before(next) {
				next = end
			}
		case end.After(passed):
			passed = end
		}
	}
	d, reason := denseInterval<<min(a.idle-1, 20), "no movement, backing off" // the cap only prevents overflow; clamp bounds it
	if end := next.Sub(o.At) + endSlack; !next.IsZero() && end < d {
		d, reason = end, "predicted end"
	}
	if !passed.IsZero() {
		// Overdue: poll densely while the calls saved so far last, then
		// keep the lag a small share of the unexpected wait, and no
		// larger than fixed polling's.
		overdue := max(denseInterval, min(o.At.Sub(passed)/overShare, BudgetInterval))
		if overdue < d {
			d, reason = overdue, "past the predicted end"
		}
	}
	return d, reason
}

// readClock follows the API's estimate from prev to o: trusted while it
// counts down like a clock toward target 100 (Remaining scaled to a lower
// target would assume a straight build), until it runs out or overruns.
func (a *Adaptive) readClock(prev, o Observation) {
	end, ok := ClockEnd(prev, o, a.target)
	if ok {
		a.apiEnd = end
	}
	switch {
	case a.clockBroken:
		return
	case a.clockOK && o.At.After(a.clockHi.Add(aimWithin)):
		a.clockOK, a.clockBroken = false, true
		return
	case a.clockOK && o.Remaining == 0 && !o.At.Add(Rounding).Before(a.clockLo):
		// In whole seconds, 0 is what a clock says in its last half second.
		return
	case o.Remaining == 0 && o.Total > 0:
		a.clockOK, a.clockBroken = false, true
		return
	case !ok || a.target < 100:
		a.clockOK = false
		return
	}
	lo, hi := end.Add(-Rounding), end.Add(Rounding)
	if a.clockOK && !lo.After(a.clockHi) && !hi.Before(a.clockLo) {
		// Each answer rounds differently: keep what all agree on.
		lo, hi = Later(lo, a.clockLo), minTime(hi, a.clockHi)
	}
	a.clockLo, a.clockHi, a.clockOK = lo, hi, true
}

// isStep reports whether progress moving by size percent is a whole number
// of the steps seen: several steps between two answers.
func (a *Adaptive) isStep(size float64) bool {
	k := math.Round(size / a.unit)
	return a.unit > 0 && k >= 1 && math.Abs(size-k*a.unit) <= 0.01*a.unit
}

// clockDecides reports whether the next poll goes just after the end of a
// true API clock: the calls left allow no check before it. It holds even at
// the API's last value before 100, where polls would otherwise be dense.
func (a *Adaptive) clockDecides(o Observation) bool {
	return a.clockOK && a.clockHi.After(o.At) && a.budget.At(a.calls+2).After(a.clockHi)
}

// addJump records that progress moved by size percent in (lo, hi] after
// standing still. Steps are of one size: a move that is not a whole number of
// them (a build that crawls after moving fast) starts a new series.
func (a *Adaptive) addJump(lo, hi time.Time, size float64) {
	if len(a.jumps) == 0 || !a.isStep(size) {
		a.unit, a.jumps = size, append(a.jumps[:0], jump{lo, hi, 0})
		return
	}
	n := a.jumps[len(a.jumps)-1].n + int(math.Round(size/a.unit))
	a.jumps = append(a.jumps, jump{lo, hi, n})
	if len(a.jumps) > 8 {
		a.jumps = a.jumps[1:]
	}
}

// nextJump returns when the next step may come, from the period of the
// steps seen: every pair of jumps bounds the period, every jump then bounds
// the next one. ok is false before two jumps or when they disagree.
func (a *Adaptive) nextJump() (lo, hi time.Time, ok bool) {
	if len(a.jumps) < 2 {
		return lo, hi, false
	}
	pLo, pHi := 0.0, math.Inf(1)
	for i, ji := range a.jumps {
		for _, jj := range a.jumps[i+1:] {
			k := float64(jj.n - ji.n)
			pLo = math.Max(pLo, jj.lo.Sub(ji.hi).Seconds()/k)
			pHi = math.Min(pHi, jj.hi.Sub(ji.lo).Seconds()/k)
		}
	}
	if pLo > pHi {
		return lo, hi, false
	}
	next := a.jumps[len(a.jumps)-1].n + 1
	for i, j := range a.jumps {
		k := float64(next - j.n)
		l, h := j.lo.Add(seconds(k*pLo)), j.hi.Add(seconds(k*pHi))
		if i == 0 || l.After(lo) {
			lo = l
		}
		if i == 0 || h.Before(hi) {
			hi = h
		}
	}
	return lo, hi, !lo.After(hi)
}

// Later returns the later of a and b.
func Later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// wait returns d and its reason, unless the call budget asks for longer or
// the clamp changes it.
func (a *Adaptive) wait(o Observation, d time.Duration, reason string) (time.Duration, string) {
	if b := a.budget.At(a.calls + 1).Sub(o.At); b > d {
		d, reason = b, "call budget"
	}
	switch {
	case d > a.maxInterval:
		d, reason = a.maxInterval, "max poll interval"
	case d < MinInterval:
		d = MinInterval
	}
	a.planned, a.plannedWhy = o.At.Add(d), reason
	return d, reason
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
