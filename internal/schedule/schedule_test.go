package schedule

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// build simulates a linear image build polled through a fake clock.
type build struct {
	name     string
	work     time.Duration // time the build spends progressing
	factor   float64       // the API's TotalDuration is work*factor; 0: the API gives no estimate
	stalls   []stall       // sorted by at
	target   float64
	maxCalls int           // 0: not checked
	maxLag   time.Duration // for the adaptive schedule
}

// stall freezes progress for dur once the build has worked for at.
type stall struct{ at, dur time.Duration }

// done returns the work finished after elapsed wall time.
func (b build) done(elapsed time.Duration) time.Duration {
	w := elapsed
	for _, s := range b.stalls {
		if w > s.at {
			w = max(s.at, w-s.dur)
		}
	}
	return min(w, b.work)
}

// end returns the wall time at which progress reaches the target.
func (b build) end() time.Duration {
	w := time.Duration(float64(b.work) * b.target / 100)
	end := w
	for _, s := range b.stalls {
		if s.at < w {
			end += s.dur
		}
	}
	return end
}

// observe answers like the server: whole seconds, the estimate counting down
// with wall time regardless of progress.
func (b build) observe(start time.Time, elapsed time.Duration) Observation {
	o := Observation{
		At:        start.Add(elapsed),
		Progress:  100 * float64(b.done(elapsed)) / float64(b.work),
		Total:     -1,
		Remaining: -1,
	}
	if b.factor > 0 {
		est := b.work.Seconds() * b.factor
		o.Total = time.Duration(math.Round(est)) * time.Second
		o.Remaining = time.Duration(max(0, math.Round(est-elapsed.Seconds()))) * time.Second
	}
	return o
}

type result struct {
	calls              int
	lag                time.Duration
	minDelay, maxDelay time.Duration
}

// simulate polls b with s, the first poll happening phase after the build started.
func simulate(s Schedule, b build, phase time.Duration) result {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := result{minDelay: math.MaxInt64}
	for elapsed := phase; r.calls < 10000; {
		o := b.observe(start, elapsed)
		r.calls++
		if o.Progress >= b.target {
			r.lag = elapsed - b.end()
			return r
		}
		d, _ := s.Next(o)
		r.minDelay, r.maxDelay = min(r.minDelay, d), max(r.maxDelay, d)
		elapsed += d
	}
	r.lag = math.MaxInt64
	return r
}

var (
	s24    = 24 * time.Second
	builds = []build{
		{name: "24s f=1", work: s24, factor: 1, target: 100, maxCalls: 10, maxLag: time.Second},
		{name: "24s f=0.6", work: s24, factor: 0.6, target: 100, maxCalls: 10, maxLag: 2 * time.Second},
		{name: "24s f=1.6", work: s24, factor: 1.6, target: 100, maxCalls: 10, maxLag: 2 * time.Second},
		{name: "24s no estimate", work: s24, target: 100, maxCalls: 10, maxLag: 2 * time.Second},
		// Where fixed 5-s polling makes one call before the end and one after,
		// so must this schedule.
		{name: "24s f=1 target 50", work: s24, factor: 1, target: 50, maxCalls: 10, maxLag: 3 * time.Second},
		{name: "300s f=1", work: 300 * time.Second, factor: 1, target: 100, maxCalls: 15, maxLag: time.Second},
		{name: "300s f=1.6", work: 300 * time.Second, factor: 1.6, target: 100, maxCalls: 15, maxLag: 2 * time.Second},
		{name: "24s queued 8s", work: s24, factor: 1, target: 100, stalls: []stall{{0, 8 * time.Second}}, maxCalls: 10, maxLag: 2 * time.Second},
		{name: "24s stall 10s at 50%", work: s24, factor: 1, target: 100, stalls: []stall{{12 * time.Second, 10 * time.Second}}, maxCalls: 12, maxLag: 4 * time.Second},
		// A stall just before the end costs the calls saved; then the
		// schedule polls no faster than fixed 5-s polling.
		{name: "24s stall 15s at 96%", work: s24, factor: 1, target: 100, stalls: []stall{{23 * time.Second, 15 * time.Second}}, maxCalls: 25, maxLag: 6200 * time.Millisecond},
		{name: "300s stall 60s at 30%", work: 300 * time.Second, factor: 1, target: 100, stalls: []stall{{90 * time.Second, 60 * time.Second}}, maxCalls: 25, maxLag: 2 * time.Second},
	}
	phases = []time.Duration{0, 1700 * time.Millisecond, 3 * time.Second, 3430 * time.Millisecond, 10 * time.Second}
)

func TestAdaptiveSimulated(t *testing.T) {
	table := []string{"case | phase | adaptive calls/lag | fixed 5s calls/lag"}
	for _, b := range builds {
		for _, phase := range phases {
			name := fmt.Sprintf("%s/phase %v", b.name, phase)
			r := simulate(NewAdaptive(b.target, 0), b, phase)
			if r.lag < 0 || r.lag > b.maxLag {
				t.Errorf("%s: lag %v, want within [0, %v]", name, r.lag, b.maxLag)
			}
			if b.maxCalls > 0 && r.calls > b.maxCalls {
				t.Errorf("%s: %d calls, want <= %d", name, r.calls, b.maxCalls)
			}
			checkBounds(t, name, r, DefaultMaxInterval)
			f := simulate(NewFixed(5*time.Second), b, phase)
			if r.calls > f.calls {
				t.Errorf("%s: %d calls, fixed 5-s polling %d", name, r.calls, f.calls)
			}
			table = append(table, fmt.Sprintf("%s | %v | %d / %v | %d / %v", b.name, phase, r.calls, r.lag, f.calls, f.lag))
		}
	}
	t.Log("\n" + strings.Join(table, "\n"))
}

func TestAdaptiveMaxInterval(t *testing.T) {
	const maxInterval = 5 * time.Second
	for _, b := range builds {
		for _, phase := range phases {
			name := fmt.Sprintf("%s/phase %v", b.name, phase)
			r := simulate(NewAdaptive(b.target, maxInterval), b, phase)
			checkBounds(t, name, r, maxInterval)
			// A max interval bounds the lag; it does not buy more calls.
			if want := max(b.maxLag, maxInterval); r.lag < 0 || r.lag > want {
				t.Errorf("%s: lag %v, want within [0, %v]", name, r.lag, want)
			}
		}
	}
}

func checkBounds(t *testing.T, name string, r result, maxInterval time.Duration) {
	t.Helper()
	if r.calls > 1 && (r.minDelay < MinInterval || r.maxDelay > maxInterval) {
		t.Errorf("%s: delays in [%v, %v], want within [%v, %v]", name, r.minDelay, r.maxDelay, MinInterval, maxInterval)
	}
}

// TestAdaptiveHostile feeds observations no server should send.
func TestAdaptiveHostile(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	obs := []Observation{
		{At: t0, Progress: math.NaN(), Total: math.MaxInt64, Remaining: math.MaxInt64},
		{At: t0, Progress: -5, Total: math.MinInt64, Remaining: 1},
		{At: t0.Add(-time.Hour), Progress: 1e-300, Total: math.MaxInt64, Remaining: 0},
		{At: t0.Add(time.Nanosecond), Progress: 2e-300, Total: -1, Remaining: -1},
		{At: t0.Add(2 * time.Nanosecond), Progress: 99.999, Total: -1, Remaining: -1},
		{At: t0.Add(time.Hour), Progress: math.Inf(-1), Total: -1, Remaining: -1},
		{At: t0.Add(1000 * time.Hour), Progress: 50, Total: -1, Remaining: -1},
	}
	for _, maxInterval := range []time.Duration{-1, 0, time.Nanosecond, 5 * time.Second, math.MaxInt64} {
		s := NewAdaptive(math.Inf(1), maxInterval)
		upper := maxInterval
		if maxInterval <= 0 {
			upper = DefaultMaxInterval
		}
		upper = max(upper, MinInterval)
		for i, o := range obs {
			if d, _ := s.Next(o); d < MinInterval || d > upper {
				t.Errorf("maxInterval %v, observation %d: delay %v, want within [%v, %v]", maxInterval, i, d, MinInterval, upper)
			}
		}
	}
}

func TestFixed(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 5 * time.Second, 10 * time.Second} {
		s := NewFixed(d)
		for _, o := range []Observation{{}, {Progress: 50, Total: time.Minute, Remaining: time.Second}} {
			if got, reason := s.Next(o); got != d || reason == "" {
				t.Errorf("NewFixed(%v).Next(%+v) = %v, %q", d, o, got, reason)
			}
		}
	}
}

func TestETA(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name   string
		o      Observation
		target float64
		want   time.Duration
		ok     bool
	}{
		{"no estimate", Observation{Progress: 30, Total: -1, Remaining: -1}, 100, 0, false},
		{"progress 0", Observation{Progress: 0, Total: 24 * s, Remaining: 24 * s}, 100, 24 * s, true},
		{"progress 0 target 50", Observation{Progress: 0, Total: 24 * s, Remaining: 24 * s}, 50, 12 * s, true},
		{"progress 0 estimate ran out", Observation{Progress: 0, Total: 24 * s, Remaining: 0}, 100, 0, false},
		{"consistent", Observation{Progress: 50, Total: 24 * s, Remaining: 12 * s}, 100, 12 * s, true},
		{"target 50", Observation{Progress: 25, Total: 24 * s, Remaining: 18 * s}, 50, 6 * s, true},
		{"total too long: implied rate", Observation{Progress: 12.5, Total: 38 * s, Remaining: 35 * s}, 100, 21 * s, true},
		{"total too short: remaining", Observation{Progress: 12.5, Total: 14 * s, Remaining: 11 * s}, 100, 11 * s, true},
		{"estimate ran out: implied rate", Observation{Progress: 80, Total: 20 * s, Remaining: 0}, 100, 5 * s, true},
		{"total missing", Observation{Progress: 50, Total: -1, Remaining: 10 * s}, 100, 10 * s, true},
		{"remaining missing", Observation{Progress: 50, Total: 20 * s, Remaining: -1}, 100, 0, false},
		{"reached", Observation{Progress: 60, Total: -1, Remaining: -1}, 50, 0, true},
		{"above 100", Observation{Progress: 120, Total: -1, Remaining: -1}, 100, 0, true},
		{"negative progress", Observation{Progress: -3, Total: 10 * s, Remaining: 10 * s}, 100, 10 * s, true},
		{"huge remaining", Observation{Progress: 0, Total: -1, Remaining: math.MaxInt64}, 100, math.MaxInt64, true},
		{"huge implied", Observation{Progress: 1e-300, Total: math.MaxInt64, Remaining: 0}, 100, math.MaxInt64, true},
	}
	for _, tt := range tests {
		got, ok := ETA(tt.o, tt.target)
		if ok != tt.ok || (got-tt.want).Abs() > time.Millisecond {
			t.Errorf("%s: ETA = %v, %t; want %v, %t", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestClockEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	answer := func(at, p, total, remaining float64) Observation {
		return Observation{At: t0.Add(seconds(at)), Progress: p, Total: seconds(total), Remaining: seconds(remaining)}
	}
	noEstimate := Observation{At: t0, Progress: 10, Total: -1, Remaining: -1}
	for _, tc := range []struct {
		name     string
		prev, o  Observation
		target   float64
		want     float64 // seconds after t0
		counting bool
	}{
		{"counts down", answer(0, 10, 100, 90), answer(10, 20, 100, 80), 100, 90, true},
		{"to a lower target", answer(0, 10, 100, 90), answer(10, 20, 100, 80), 50, 40, true},
		{"within the whole-second rounding", answer(0, 10, 100, 90), answer(10.4, 20, 101, 80), 100, 90.4, true},
		{"total changed", answer(0, 10, 100, 90), answer(10, 20, 105, 80), 100, 0, false},
		{"stale", answer(0, 10, 100, 90), answer(10, 20, 100, 90), 100, 0, false},
		{"ran out", answer(0, 10, 100, 10), answer(10, 20, 100, 0), 100, 0, false},
		{"no estimate", noEstimate, answer(10, 20, 100, 80), 100, 0, false},
	} {
		end, ok := ClockEnd(tc.prev, tc.o, tc.target)
		if ok != tc.counting || ok && end.Sub(t0) != seconds(tc.want) {
			t.Errorf("%s: ClockEnd = %v after t0, %v; want %v, %v", tc.name, end.Sub(t0), ok, seconds(tc.want), tc.counting)
		}
	}
}

// A build that slows down toward its end (fast-start: 1-(1-x)³) is
// predicted to end at the earliest moment the rounded levels allow, not
// far sooner as the tangent would say, nor later than its true end.
func TestSlowingETA(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	levels := func(points ...float64) *Adaptive {
		a := &Adaptive{target: 100}
		for i := 0; i < len(points); i += 2 {
			a.levels = append(a.levels, level{t0.Add(seconds(points[i])), points[i+1]})
		}
		return a
	}
	fastStart := func(at, d float64) float64 {
		left := 1 - at/d
		return math.Round((100-100*left*left*left)*100) / 100
	}
	for _, tc := range []struct {
		name   string
		a      *Adaptive
		lo, hi float64 // seconds after the last level; 0, 0: no estimate
	}{
		{"fast-start, 3-minute build, 20 s left", levels(120, fastStart(120, 180), 140, fastStart(140, 180), 160, fastStart(160, 180)), 16, 20},
		{"fast-start, 60-minute build, 10 min left", levels(2400, fastStart(2400, 3600), 2700, fastStart(2700, 3600), 3000, fastStart(3000, 3600)), 540, 600},
		{"straight: as the line says", levels(0, 50, 10, 60, 20, 70), 29, 30},
		{"steps the rounding explains", levels(0, 99.97, 10, 99.98, 20, 99.99), 0, 0},
		{"stopped", levels(0, 98, 10, 99, 20, 99), 0, 0},
		{"two levels", levels(0, 98, 10, 99), 0, 0},
	} {
		eta, ok := tc.a.slowingETA()
		switch {
		case tc.hi == 0 && ok:
			t.Errorf("%s: %.2f s, want no estimate", tc.name, eta)
		case tc.hi > 0 && (!ok || eta < tc.lo || eta > tc.hi):
			t.Errorf("%s: %.2f s (%v), want %v to %v s", tc.name, eta, ok, tc.lo, tc.hi)
		}
	}
}

// Next uses the slowing-down end: on a 3-minute fast-start build without
// estimates, 20 s before its end, the next poll comes halfway to the end
// that the power law gives (16 to 20 s away, see TestSlowingETA), not
// halfway to the tangent's, 3 s away, which would cost a poll every few
// seconds down to the end.
func TestNextHalvesTheSlowingEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fastStart := func(at float64) float64 {
		left := 1 - at/180
		return math.Round((100-100*left*left*left)*100) / 100
	}
	s := NewAdaptive(100, 0)
	var d time.Duration
	var why string
	for _, at := range []float64{0, 60, 100, 120, 140, 160} {
		d, why = s.Next(Observation{At: t0.Add(seconds(at)), Progress: fastStart(at), Total: -1, Remaining: -1})
	}
	if why != "half an untrusted estimate" || d < 8*time.Second || d > 10*time.Second {
		t.Errorf("at 160 s of 180: next poll in %v (%s), want 8 to 10 s, half an untrusted estimate", d, why)
	}
}

// A status lookup counts in the call budget: the poll planned before it
// keeps its time (or the budget's next slot), unless the lookup leaves no
// call for a check before a true API clock's end: then the poll moves to
// that end.
func TestLookupMovesThePlannedPoll(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// A 100-s straight build with a true clock, polled every 10 s.
	answer := func(at float64, calls int) Observation {
		return Observation{At: t0.Add(seconds(at)), Progress: at, Total: 100 * time.Second, Remaining: seconds(100 - at), Calls: calls}
	}
	lookup := func(at float64, calls int) Observation {
		o := answer(at, calls)
		o.Lookup = true
		return o
	}
	s := NewAdaptive(100, 10*time.Second)
	for i := range 9 {
		s.Next(answer(float64(10*i), i+1))
	}
	// At 88 s, 18 calls made (lookups included): the clock ends at 100 s,
	// and the max interval holds the next poll at 98 s.
	d, why := s.Next(answer(88, 18))
	planned := 88 + d.Seconds()
	if planned >= 100 {
		t.Fatalf("after the answer at 88 s: poll at %.2f s (%s), want a check before the end", planned, why)
	}
	// A lookup at 89 s (call 19): call 20 may come from 95 s.
	d2, why2 := s.Next(lookup(89, 19))
	if want := max(planned, 95); math.Abs(89+d2.Seconds()-want) > 1e-6 {
		t.Errorf("after a lookup at 89 s: poll at %.2f s (%s), want %.2f s", 89+d2.Seconds(), why2, want)
	}
	// Another at 93 s (call 20): call 22 could come only at 105 s, after
	// the end, so call 21 goes to the end (within the clock's rounding).
	d3, why3 := s.Next(lookup(93, 20))
	if at := 93 + d3.Seconds(); why3 != "end of the API's clock" || at < 100 || at > 101 {
		t.Errorf("after a lookup at 93 s: poll at %.2f s (%s), want just after 100 s for the end of the API's clock", at, why3)
	}
}

// MaxInterval is where max_poll_interval gets its default and its lower
// bound, for the schedule and the wait alike.
func TestMaxInterval(t *testing.T) {
	for _, tc := range []struct{ requested, want time.Duration }{
		{0, DefaultMaxInterval},
		{-time.Second, DefaultMaxInterval},
		{time.Millisecond, MinInterval},
		{time.Minute, time.Minute},
	} {
		if got := MaxInterval(tc.requested); got != tc.want {
			t.Errorf("MaxInterval(%v) = %v, want %v", tc.requested, got, tc.want)
		}
	}
}

// EarliestEnd is unknown before progress moves; then it is the end the
// latest move predicts, or a true API clock's earliest end if sooner.
func TestEarliestEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, tc := range []struct {
		name           string
		total, remain1 time.Duration // the API's estimate at 0 s; -1: none
		want           time.Time
	}{
		// 10 % at 0 s, 20 % at 10 s: the line reaches 100 % at 90 s.
		{"no estimate", -1, -1, at(90)},
		// A clock counting down from 60 s ends at 60 s, give or take its
		// whole-second rounding.
		{"a true clock", 100 * time.Second, 60 * time.Second, at(59.5)},
	} {
		s := NewAdaptive(100, 0)
		s.Next(Observation{At: at(0), Progress: 10, Total: tc.total, Remaining: tc.remain1})
		if end, ok := s.EarliestEnd(); ok {
			t.Errorf("%s: before a move, EarliestEnd = %v, want none", tc.name, end)
		}
		remain2 := tc.remain1
		if remain2 >= 0 {
			remain2 -= 10 * time.Second
		}
		s.Next(Observation{At: at(10), Progress: 20, Total: tc.total, Remaining: remain2})
		if end, ok := s.EarliestEnd(); !ok || !end.Equal(tc.want) {
			t.Errorf("%s: EarliestEnd = %v, %v; want %v", tc.name, end.Sub(t0), ok, tc.want.Sub(t0))
		}
	}
}
