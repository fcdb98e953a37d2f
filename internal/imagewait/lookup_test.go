package imagewait

import (
	"context"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// recordingReader notes every call to a shapeBuild, and when it was made.
type recordingReader struct {
	*shapeBuild
	calls []call
}

type call struct {
	at     time.Duration // since the build started
	lookup bool          // a status lookup, else a progress poll
}

func (r *recordingReader) ImageProgress(ctx context.Context, region, zone, id string) (compshare.Progress, error) {
	r.calls = append(r.calls, call{r.clock.now.Sub(r.started), false})
	return r.shapeBuild.ImageProgress(ctx, region, zone, id)
}

func (r *recordingReader) ImageStatus(ctx context.Context, region, zone, id string) (compshare.ImageStatus, error) {
	r.calls = append(r.calls, call{r.clock.now.Sub(r.started), true})
	return r.shapeBuild.ImageStatus(ctx, region, zone, id)
}

// runRecorded waits with the default schedule for build, which started
// phase before the wait, and notes every call.
func runRecorded(t *testing.T, build buildshape.Build, phase time.Duration) *recordingReader {
	t.Helper()
	c := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := &recordingReader{shapeBuild: &shapeBuild{clock: c, started: c.now.Add(-phase), build: build}}
	req := Request{Region: region, Zone: zone, ImageID: imageID, Target: 100}
	if _, err := (waiter{r: r, clock: c, statusTimeout: statusTimeout, finalReadTimeout: finalReadTimeout}).wait(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	return r
}

func tail99(estimate string, d time.Duration) buildshape.Build {
	shape, _ := buildshape.ShapeNamed("tail-99")
	b := buildshape.Build{Shape: shape, Duration: d}
	for _, e := range buildshape.Estimates {
		if e.Name == estimate {
			b.Estimate = e
		}
	}
	return b
}

// While progress stands still, a lookup for failure takes the slot of a
// progress poll instead of coming on top of it (a lookup sees the end as
// well as a poll would): at a long stay at 99 % with no estimate, once the
// calls saved before it are spent, the calls come every 5 s as fixed 5-s
// polling's do, none pushed past its slot by a lookup, and progress polls
// still come among them, to see the progress move again.
func TestLookupsTakePollSlotsAtAStay(t *testing.T) {
	build := tail99("none", 5*time.Minute)
	r := runRecorded(t, build, 0)
	from := build.Duration*4/10 + 20*time.Second // the stay began at 40 %
	polls, lookups := 0, 0
	for i, c := range r.calls {
		if c.at <= from {
			continue
		}
		if c.lookup {
			lookups++
		} else {
			polls++
		}
		if gap := c.at - r.calls[i-1].at; (gap - schedule.BudgetInterval).Abs() > time.Millisecond {
			t.Errorf("calls at %v and %v during the stay: %v apart, want fixed 5-s polling's pace", r.calls[i-1].at, c.at, gap)
		}
	}
	if polls == 0 || lookups == 0 {
		t.Errorf("%d progress polls and %d lookups during the stay, want both", polls, lookups)
	}
}

// While the API's Remaining counts down like a clock, the build is not
// expected over before that clock's end: at a long stay at 99 % with a true
// clock, the only status lookups are those for failure, and the wait ends
// within a second of the build.
func TestCountingClockDefersTheEndLookups(t *testing.T) {
	build := tail99("clock", 12*time.Minute)
	r := runRecorded(t, build, 0)
	if end := r.calls[len(r.calls)-1].at; end < build.Duration || end > build.Duration+time.Second {
		t.Errorf("the wait ended %v after the build", end-build.Duration)
	}
	var statusAt []time.Duration
	for _, c := range r.calls {
		if c.lookup {
			statusAt = append(statusAt, c.at)
		}
	}
	// Lookups for failure come every failure bound (lookupGap), or up to
	// one slot of the budget sooner when they take a poll's slot.
	for i := 1; i < len(statusAt)-1; i++ {
		at := statusAt[i-1]
		bound := min(max(noticeWithin, at/noticeShare), schedule.DefaultMaxInterval)
		if gap := statusAt[i] - at; at > 5*time.Minute && gap < bound-schedule.BudgetInterval {
			t.Errorf("lookups at %v and %v during the stay, %v apart: more than those for failure", at, statusAt[i], gap)
		}
	}
}

// A build expected over that is not keeps being looked up in the polls'
// slots only while its latest progress is no older than the failure bound:
// a clock off by 0.5x runs out during a pause (pause/clock x0.5), and the
// progress is read again, so that the resume is seen and the end predicted.
func TestProgressReadAgainWhileExpectedOver(t *testing.T) {
	shape, _ := buildshape.ShapeNamed("pause")
	build := buildshape.Build{Shape: shape, Estimate: buildshape.Estimate{Name: "clock x0.5", Of: buildshape.Clock(0.5)}, Duration: 3 * time.Minute}
	r := runRecorded(t, build, 4400*time.Millisecond)
	resumed := build.Duration * 65 / 100
	polls := 0
	for _, c := range r.calls {
		if !c.lookup && c.at > resumed {
			polls++
		}
	}
	if polls < 2 {
		t.Errorf("%d progress polls after the pause, want the pace measured: calls %v", polls, r.calls)
	}
	if end := r.calls[len(r.calls)-1].at; end > build.Duration+2*time.Second {
		t.Errorf("the wait ended %v after the build", end-build.Duration)
	}
}

// OnLookup hears every status lookup that answered, with the pause that
// follows it, so that a debug log tells why the next call comes when it
// does after a lookup as after a poll.
func TestOnLookupHearsEveryLookup(t *testing.T) {
	b := newBuild(3 * time.Minute)
	type heard struct {
		status string
		next   time.Duration
		why    string
	}
	var lookups []heard
	if _, err := b.run(t, Request{OnLookup: func(status string, next time.Duration, why string) {
		lookups = append(lookups, heard{status, next, why})
	}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(lookups) != len(b.statusAt) || len(lookups) < 2 {
		t.Fatalf("heard %d lookups, made %d", len(lookups), len(b.statusAt))
	}
	for _, l := range lookups[:len(lookups)-1] {
		if l.status != "Making" || l.next <= 0 || l.why == "" {
			t.Errorf("lookup heard as %+v, want Making with the next pause and its reason", l)
		}
	}
	if last := lookups[len(lookups)-1]; last.status != "Available" || last.next != 0 {
		t.Errorf("last lookup heard as %+v, want Available and no next call", last)
	}
}

// A lookup that takes a poll's slot and fails still spends the slot: the
// poll is planned anew after it, so that lookups failing during a stay at
// 99 % (past the API's estimate, when a lookup takes the slot) do not come
// one after the other at the same moment, and the wait makes no more calls
// than fixed 5-s polling does on the same build.
func TestFailedLookupsKeepTheBudget(t *testing.T) {
	build := func() *fakeBuild {
		b := newBuild(10 * time.Minute)
		b.stallAt, b.stallFor = 9*time.Minute+54*time.Second, 5*time.Minute
		b.statusErr, b.statusFaultEnd = unreadable(), 20*time.Minute
		return b
	}
	b, fixed := build(), build()
	if _, err := b.run(t, Request{}, time.Hour); err != nil {
		t.Fatalf("after %d calls: %v", len(b.callsAt), err)
	}
	if _, err := fixed.run(t, Request{Schedule: schedule.NewFixed(schedule.BudgetInterval)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(b.callsAt) > len(fixed.callsAt) {
		t.Errorf("%d calls over %v, fixed 5-s polling makes %d", len(b.callsAt), b.elapsed(), len(fixed.callsAt))
	}
}

// A status lookup moves the next progress poll, but never sooner than the
// progress action asked with Retry-After: each progress call after a
// refused one comes no sooner than it asked, although the status answers
// meanwhile.
func TestLookupKeepsTheProgressRetryAfter(t *testing.T) {
	const after = 25 * time.Second
	b := newBuild(10 * time.Minute)
	b.errs = []error{nil, nil, throttled(after), throttled(after), throttled(after), nil}
	if _, err := b.run(t, Request{}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(b.statusAt) == 0 || b.statusAt[0] > b.progressAt[5] {
		t.Fatalf("no status lookup during the refusals: lookups at %v, progress calls at %v", b.statusAt, b.progressAt)
	}
	for i := 3; i <= 5; i++ {
		if gap := b.progressAt[i] - b.progressAt[i-1]; gap < after {
			t.Errorf("progress calls at %v and %v, %v apart after a Retry-After of %v", b.progressAt[i-1], b.progressAt[i], gap, after)
		}
	}
}
