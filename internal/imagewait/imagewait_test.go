package imagewait

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

const (
	region  = "cn-wlcb"
	zone    = "cn-wlcb-01"
	imageID = "compshareImage-x"
)

// fakeClock advances only when slept on, instantly. Test contexts carry their
// deadlines on this clock: it never sleeps past one.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) {
	c.sleeps = append(c.sleeps, d)
	if ctx.Err() == nil {
		c.advance(ctx, d)
	}
}

// advance moves the clock by d, but not past ctx's deadline; it reports
// whether the deadline was reached.
func (c *fakeClock) advance(ctx context.Context, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && !c.now.Add(d).Before(deadline) {
		c.now = deadline
		return true
	}
	c.now = c.now.Add(d)
	return false
}

// fakeBuild is a Reader simulating a linear build on a fake clock.
type fakeBuild struct {
	clock             *fakeClock
	start             time.Time
	work              time.Duration // time the build spends progressing
	stallAt, stallFor time.Duration // progress stands still for stallFor once stallAt has passed
	failed            bool          // once stalled, the status says failed
	noEstimate        bool
	latency           time.Duration // every progress call takes this long
	errs              []error       // returned by the first progress calls, in turn; the last repeats; nil answers
	statusErr         error         // returned by status lookups (until statusFaultEnd)
	statusFaultEnd    time.Duration // statusErr and statusHangs stop then; 0: never
	statusLag         time.Duration // the status says Making this long after the build is done, then Available
	failStatus        string        // the status of a failed build; "" for UnAvailable
	failReason        string        // its FailedReason
	unknownStatus     string        // if set, the status before Available instead of Making
	availableAt       time.Duration // > 0: listed Available from then on, whatever the progress
	statusHangs       bool
	statusTimeout     time.Duration // bounds a status lookup, in real time; 0: a minute, which no lookup of a fake takes
	answers           []float64
	statusAt          []time.Duration // when the status was looked up, since start
	answersAtLookup   int             // len(answers) at the latest lookup
	progressCalls     int
	progressAt        []time.Duration // when each progress call began, since start
	callsAt           []time.Duration // when each call (progress or status) began, since start
}

// maxFakeCalls bounds the calls a fake build answers, so that a wait that
// calls without end fails instead of hanging the test: no wait of these
// tests needs as many.
const maxFakeCalls = 10000

// errTooManyCalls is what a fake answers past maxFakeCalls: an error that
// ends the wait.
var errTooManyCalls = &compshare.Error{ImageID: imageID, RetCode: 8888, Message: "the fake build answered maxFakeCalls calls: does the wait ever stop?"}

func newBuild(work time.Duration) *fakeBuild {
	c := &fakeClock{now: time.Now()}
	return &fakeBuild{clock: c, start: c.now, work: work, failReason: "disk full"}
}

func (b *fakeBuild) elapsed() time.Duration { return b.clock.now.Sub(b.start) }

// done returns the work finished so far.
func (b *fakeBuild) done() time.Duration {
	w := b.elapsed()
	if b.stallFor > 0 && w > b.stallAt {
		w = b.stallAt + max(0, w-b.stallAt-b.stallFor)
	}
	return min(w, b.work)
}

func (b *fakeBuild) stalled() bool { return b.stallFor > 0 && b.elapsed() > b.stallAt }

func (b *fakeBuild) ImageProgress(ctx context.Context, r, z, id string) (compshare.Progress, error) {
	b.progressCalls++
	b.progressAt = append(b.progressAt, b.elapsed())
	b.callsAt = append(b.callsAt, b.elapsed())
	if len(b.callsAt) > maxFakeCalls {
		return compshare.Progress{}, errTooManyCalls
	}
	if r != region || z != zone || id != imageID {
		return compshare.Progress{}, fmt.Errorf("unexpected request %s/%s/%s", r, z, id)
	}
	if b.clock.advance(ctx, b.latency) || ctx.Err() != nil {
		// What the client answers when ctx ends during a call.
		return compshare.Progress{}, &compshare.Error{Action: compshare.ActionImageProgress, ImageID: id, Message: "context ended", Err: context.DeadlineExceeded}
	}
	if len(b.errs) > 0 {
		err := b.errs[0]
		if len(b.errs) > 1 {
			b.errs = b.errs[1:]
		}
		if err != nil {
			return compshare.Progress{}, err
		}
	}
	done := b.done()
	p := compshare.Progress{Percent: 100 * done.Seconds() / b.work.Seconds(), RequestID: fmt.Sprintf("req-%d", b.progressCalls)}
	if !b.noEstimate {
		total, remaining := b.work.Seconds(), (b.work - done).Seconds()
		p.TotalSeconds, p.RemainingSeconds = &total, &remaining
	}
	b.answers = append(b.answers, p.Percent)
	return p, nil
}

func (b *fakeBuild) ImageStatus(ctx context.Context, r, z, id string) (compshare.ImageStatus, error) {
	b.statusAt = append(b.statusAt, b.elapsed())
	b.callsAt = append(b.callsAt, b.elapsed())
	b.answersAtLookup = len(b.answers)
	if len(b.callsAt) > maxFakeCalls {
		return compshare.ImageStatus{}, errTooManyCalls
	}
	fault := b.statusFaultEnd == 0 || b.elapsed() < b.statusFaultEnd
	switch {
	case b.statusHangs && fault:
		select {
		case <-ctx.Done():
			return compshare.ImageStatus{}, ctx.Err()
		case <-time.After(2 * time.Second):
			// Never reached when the lookup is bounded; else the wait fails.
			return compshare.ImageStatus{Status: "UnAvailable", FailedReason: "lookup not bounded"}, nil
		}
	case b.statusErr != nil && fault:
		return compshare.ImageStatus{}, b.statusErr
	case b.failed && b.stalled():
		return compshare.ImageStatus{Status: cmp.Or(b.failStatus, "UnAvailable"), FailedReason: b.failReason, RequestID: "status-req"}, nil
	case b.done() == b.work && b.elapsed() >= b.work+b.statusLag, b.availableAt > 0 && b.elapsed() >= b.availableAt:
		return compshare.ImageStatus{Status: "Available"}, nil
	}
	return compshare.ImageStatus{Status: cmp.Or(b.unknownStatus, "Making")}, nil
}

// run waits for b on its fake clock; timeout > 0 sets a deadline on that clock.
func (b *fakeBuild) run(t *testing.T, req Request, timeout time.Duration) (compshare.Progress, error) {
	t.Helper()
	ctx := t.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, b.clock.now.Add(timeout))
		defer cancel()
	}
	req.Region, req.Zone, req.ImageID = region, zone, imageID
	if req.Target == 0 {
		req.Target = 100
	}
	return waiter{r: b, clock: b.clock, statusTimeout: cmp.Or(b.statusTimeout, time.Minute), finalReadTimeout: 5 * time.Second}.wait(ctx, req)
}

func transient(msg string) error {
	return &compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, Status: 503, Message: msg, Transient: true}
}

type poll struct {
	percent float64
	next    time.Duration
}

func TestCompletes(t *testing.T) {
	b := newBuild(10 * time.Minute)
	b.latency = 200 * time.Millisecond
	type timedPoll struct {
		poll
		at     time.Duration
		reason string
	}
	var polls []timedPoll
	p, err := b.run(t, Request{OnPoll: func(p compshare.Progress, next time.Duration, reason string) {
		polls = append(polls, timedPoll{poll{p.Percent, next}, b.elapsed(), reason})
	}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p.Percent != 100 || p.RequestID != fmt.Sprintf("req-%d", b.progressCalls) {
		t.Fatalf("got %+v after %d calls, want the final answer", p, b.progressCalls)
	}
	if lag := b.elapsed() - b.work; lag < 0 || lag > 5*time.Second || b.progressCalls > 40 {
		t.Errorf("lag %v with %d calls", lag, b.progressCalls)
	}
	// OnPoll: once per answer, with the delay until the next call and its
	// reason, and 0 at the end.
	if len(polls) != b.progressCalls {
		t.Fatalf("%d OnPoll calls, %d answers", len(polls), b.progressCalls)
	}
	for i, p := range polls[:len(polls)-1] {
		if !slices.Contains(b.callsAt, p.at+p.next) || p.next <= 0 || p.reason == "" {
			t.Errorf("OnPoll %d at %v said next %v (%q); calls at %v", i, p.at, p.next, p.reason, b.callsAt)
		}
	}
	// The poll due when the estimate says the build is over is preceded by
	// a status lookup, which finds it Available: the last answer said when.
	last := polls[len(polls)-1]
	if ended := b.callsAt[len(b.callsAt)-1]; last.next <= 0 || last.at+last.next != ended || !slices.Contains(b.statusAt, ended) {
		t.Errorf("last OnPoll %+v at %v; calls at %v, lookups at %v; want the wait ended by the lookup it announced", last.poll, last.at, b.callsAt, b.statusAt)
	}
}

func TestTargetBelow100(t *testing.T) {
	b := newBuild(10 * time.Minute)
	p, err := b.run(t, Request{Target: 50}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p.Percent < 50 || p.Percent >= 60 || b.elapsed() > 6*time.Minute {
		t.Fatalf("got %v %% after %v, want about 50 %% after 5m", p.Percent, b.elapsed())
	}
}

func TestInvalidTarget(t *testing.T) {
	for _, target := range []float64{-1, 100.5, math.NaN(), math.Inf(1)} {
		b := newBuild(time.Minute)
		if _, err := b.run(t, Request{Target: target}, time.Hour); err == nil || b.progressCalls != 0 {
			t.Errorf("target %v: err %v after %d calls", target, err, b.progressCalls)
		}
	}
}

func TestTransientErrorsThenSuccess(t *testing.T) {
	b := newBuild(time.Minute)
	b.errs = []error{transient("a"), transient("b"), transient("c"), nil, transient("d"), nil}
	var pauses []time.Duration
	p, err := b.run(t, Request{OnTransientError: func(_ error, next time.Duration) { pauses = append(pauses, next) }}, time.Hour)
	if err != nil || p.Percent != 100 {
		t.Fatalf("p=%+v err=%v", p, err)
	}
	// The backoff doubles, and starts over after an answer.
	if fmt.Sprint(pauses) != "[1s 2s 4s 1s]" {
		t.Fatalf("pauses %v, want 1s 2s 4s 1s", pauses)
	}
}

func TestPermanentErrorEndsAtOnce(t *testing.T) {
	b := newBuild(time.Minute)
	refused := &compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, RetCode: 171, Message: "signature error", RequestID: "req-1"}
	b.errs = []error{refused}
	_, err := b.run(t, Request{}, time.Hour)
	if !errors.Is(err, refused) {
		t.Fatalf("error %v, want the API's error as is", err)
	}
	// One status lookup: a failed build may be why the action refuses.
	if b.progressCalls != 1 || len(b.clock.sleeps) != 0 || len(b.statusAt) != 1 {
		t.Fatalf("%d calls, %d sleeps, %d lookups", b.progressCalls, len(b.clock.sleeps), len(b.statusAt))
	}
}

func TestPermanentErrorOfAFailedBuild(t *testing.T) {
	b := newBuild(time.Minute)
	b.stallAt, b.stallFor, b.failed = -time.Second, time.Hour, true // failed from the start
	b.errs = []error{&compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, RetCode: 1000, Message: "image failed"}}
	_, err := b.run(t, Request{}, time.Hour)
	var failed *FailedError
	if !errors.As(err, &failed) || failed.Reason != "disk full" {
		t.Fatalf("error %v, want the build's failure", err)
	}
}

func TestOutageLookupsAndReports(t *testing.T) {
	b := newBuild(10 * time.Minute)
	b.errs = []error{transient("busy")} // every poll fails, and the last error repeats
	b.stallAt, b.stallFor, b.failed = 0, time.Hour, true
	var reported int
	_, err := b.run(t, Request{OnTransientError: func(error, time.Duration) { reported++ }}, time.Hour)
	var failed *FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("error %v: an outage of the progress action must not hide a failed build", err)
	}
	if reported == 0 || fmt.Sprint(b.statusAt) != fmt.Sprint([]time.Duration{noticeWithin}) {
		t.Fatalf("%d errors reported, lookups at %v", reported, b.statusAt)
	}
}

// constReader gives the same answer every time.
type constReader struct{ p compshare.Progress }

func (r constReader) ImageProgress(context.Context, string, string, string) (compshare.Progress, error) {
	return r.p, nil
}

func (constReader) ImageStatus(context.Context, string, string, string) (compshare.ImageStatus, error) {
	return compshare.ImageStatus{Status: "Making"}, nil
}

func TestMalformedAnswerIsAnError(t *testing.T) {
	for _, pct := range []float64{math.NaN(), 150, -1} {
		c := &fakeClock{now: time.Now()}
		ctx, cancel := context.WithDeadline(t.Context(), c.now.Add(time.Hour))
		_, err := waiter{r: constReader{compshare.Progress{Percent: pct}}, clock: c, statusTimeout: time.Second}.wait(ctx, Request{ImageID: imageID, Target: 100})
		cancel()
		var timeout *TimeoutError
		if err == nil || errors.As(err, &timeout) || !strings.Contains(err.Error(), "outside 0..100") {
			t.Errorf("progress %v: error %v, want it refused at once", pct, err)
		}
	}
}

func TestFailedBuild(t *testing.T) {
	b := newBuild(20 * time.Second)
	b.stallAt, b.stallFor, b.failed = 8500*time.Millisecond, 24*time.Hour, true
	var last poll
	// Polls every 10 s, so that the poll 10 s in comes with the lookup.
	_, err := b.run(t, Request{Schedule: schedule.NewFixed(10 * time.Second),
		OnPoll: func(p compshare.Progress, next time.Duration, _ string) { last = poll{p.Percent, next} }}, time.Hour)
	var failed *FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("error %v, want *FailedError", err)
	}
	want := "the build of image compshareImage-x failed at 42.5 %: disk full (request id status-req)"
	if err.Error() != want || *failed != (FailedError{ImageID: imageID, Status: "UnAvailable", Reason: "disk full", RequestID: "status-req", Progress: 42.5}) {
		t.Fatalf("got %q (%+v), want %q", err, *failed, want)
	}
	// Looked up once, 1.5 s after the failure, 10 s into the wait.
	if fmt.Sprint(b.statusAt) != fmt.Sprint([]time.Duration{noticeWithin}) || b.elapsed() != noticeWithin {
		t.Fatalf("lookups at %v; answers %v; ended after %v", b.statusAt, b.answers, b.elapsed())
	}
	if last != (poll{42.5, 0}) {
		t.Errorf("last OnPoll %+v, want next 0", last)
	}
}

func TestStatusLookupCadence(t *testing.T) {
	// Polls every 10 s; progress stands still from 200 s to 500 s; done at 1300 s.
	b := newBuild(1000 * time.Second)
	b.stallAt, b.stallFor = 200*time.Second, 300*time.Second
	if _, err := b.run(t, Request{Schedule: schedule.NewFixed(10 * time.Second)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	const maxInterval = schedule.DefaultMaxInterval
	at := b.statusAt
	// The stall (at 20 %) is left to the failure bound: a lookup within
	// lookupGap of the last answer that moved (190 s); the last when the
	// progress reads 100 %.
	if !slices.ContainsFunc(at, func(d time.Duration) bool { return d > 200*time.Second && d <= 209*time.Second }) ||
		at[len(at)-1] != 1300*time.Second {
		t.Fatalf("lookups at %v, want one by 3m29s and the last at 21m40s", at)
	}
	for i := 1; i < len(at); i++ {
		gap, bound := at[i]-at[i-1], min(max(noticeWithin, at[i-1]/noticeShare), maxInterval)
		switch {
		case at[i-1] >= 209*time.Second && at[i] <= 500*time.Second && gap != bound:
			// No progress to prove the build alive: the lookups alone must.
			t.Errorf("lookups at %v and %v during the stall, want %v apart", at[i-1], at[i], bound)
		case at[i-1] >= 600*time.Second && at[i] < 1300*time.Second && gap < 2*maxInterval-10*time.Second:
			// Progress moving every 10 s proves the build alive: one
			// lookup where the max interval would allow two.
			t.Errorf("lookups at %v and %v while the progress moves", at[i-1], at[i])
		}
	}
	// The poll due at 1300 s, when the estimate says the build is over, is
	// a lookup that finds the image Available instead.
	if b.progressCalls != 130 {
		t.Fatalf("%d progress calls, want 130", b.progressCalls)
	}
}

// TestStatusLookupAtOnceAtAStay: progress that stops at 99 % or more (where
// builds stay before their end) is looked up at once.
func TestStatusLookupAtOnceAtAStay(t *testing.T) {
	// Polls every 10 s; progress stands still from 1980 s (99 %) to 2180 s.
	b := newBuild(2000 * time.Second)
	b.stallAt, b.stallFor = 1980*time.Second, 200*time.Second
	if _, err := b.run(t, Request{Schedule: schedule.NewFixed(10 * time.Second)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	// The answer at 1990 s repeats the one at 1980 s; the estimates say
	// 10 s more.
	if !slices.Contains(b.statusAt, 1990*time.Second) {
		t.Fatalf("lookups at %v, want one at 33m10s", b.statusAt)
	}
}

func TestStatusErrorsIgnored(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakeBuild)
		check func(t *testing.T, b *fakeBuild, p compshare.Progress, err error)
	}{
		{"refused", func(b *fakeBuild) {
			b.statusErr = &compshare.Error{Action: compshare.ActionDescribeImages, ImageID: imageID, RetCode: 161, Message: "unknown action"}
		}, func(t *testing.T, b *fakeBuild, p compshare.Progress, err error) {
			// A refusal is final: the action is not asked again, and the
			// progress alone decides.
			if err != nil || p.Percent != 100 || len(b.statusAt) != 1 || b.elapsed() > b.work+b.stallFor+5*time.Second {
				t.Fatalf("p=%+v err=%v after %v; lookups at %v", p, err, b.elapsed(), b.statusAt)
			}
		}},
		{"not found", func(b *fakeBuild) {
			b.statusErr = &compshare.Error{Action: compshare.ActionDescribeImages, ImageID: imageID, RetCode: 230, Message: "Params [CompShareImageId] not available"}
		}, func(t *testing.T, b *fakeBuild, _ compshare.Progress, err error) {
			// Not a refusal: a new image may not be listed yet, and done
			// means listed as Available.
			var timeout *TimeoutError
			if !errors.As(err, &timeout) || !strings.Contains(err.Error(), "still at 100 % after 1h0m0s (not yet listed as Available)") {
				t.Fatalf("error %v, want a timeout at 100 %%", err)
			}
		}},
		{"transient", func(b *fakeBuild) { b.statusErr, b.statusFaultEnd = transient("busy"), 4*time.Minute }, nil},
		{"hangs", func(b *fakeBuild) {
			b.statusHangs, b.statusFaultEnd, b.statusTimeout = true, 4*time.Minute, 50*time.Millisecond
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuild(3 * time.Minute)
			b.stallAt, b.stallFor = time.Minute, 30*time.Second
			tc.setup(b)
			p, err := b.run(t, Request{}, time.Hour)
			if tc.check != nil {
				tc.check(t, b, p, err)
				return
			}
			// Transient faults pass: the wait ends with the first answer after them.
			if err != nil || p.Percent != 100 || b.elapsed() < b.statusFaultEnd || b.elapsed() > b.statusFaultEnd+10*time.Second {
				t.Fatalf("p=%+v err=%v after %v; lookups at %v", p, err, b.elapsed(), b.statusAt)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	for _, tc := range []struct {
		name       string
		setup      func(*fakeBuild)
		timeout    time.Duration
		want       string
		lastErr    bool
		noProgress bool
		failed     int // progress calls without an answer; -1: all
	}{
		{
			// Polled at 1700 s (42.5 %), read again at the deadline.
			name:    "with estimate",
			setup:   func(b *fakeBuild) {},
			timeout: 1750 * time.Second,
			want:    "image compshareImage-x still at 43.75 % after 29m10s (about 37m30s left by the API's estimate)",
		},
		{
			name:    "without estimate",
			setup:   func(b *fakeBuild) { b.noEstimate = true },
			timeout: 1750 * time.Second,
			want:    "image compshareImage-x still at 43.75 % after 29m10s (the API gives no estimate of the time left)",
		},
		{
			name:       "no answer ever",
			setup:      func(b *fakeBuild) { b.errs = []error{transient("gateway down")} },
			timeout:    30 * time.Minute,
			want:       "image compshareImage-x: no answer from the API after 30m0s: " + transient("gateway down").Error(),
			lastErr:    true,
			noProgress: true,
			failed:     -1,
		},
		{
			// Calls answer at 10 s and 120 s (12 %); the third is under way
			// when the deadline passes, and the read after it takes longer
			// than it may.
			name:    "deadline during a call",
			setup:   func(b *fakeBuild) { b.latency = 10 * time.Second; b.work = 1000 * time.Second },
			timeout: 225 * time.Second,
			want:    "image compshareImage-x still at 12 % after 3m45s (about 14m40s left by the API's estimate)",
			failed:  2,
		},
		{
			// Calls answer at 3 s, 106 s and 209 s; the read after the deadline at 228 s.
			name:    "slow answers",
			setup:   func(b *fakeBuild) { b.latency = 3 * time.Second; b.work = 1000 * time.Second },
			timeout: 225 * time.Second,
			want:    "image compshareImage-x still at 22.8 % after 3m45s (about 12m52s left by the API's estimate)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuild(4000 * time.Second)
			tc.setup(b)
			maxInterval := 100 * time.Second
			_, err := b.run(t, Request{MaxInterval: maxInterval, Schedule: schedule.NewFixed(maxInterval)}, tc.timeout)
			var timeout *TimeoutError
			if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want *TimeoutError", err)
			}
			if err.Error() != tc.want {
				t.Fatalf("got  %q\nwant %q", err, tc.want)
			}
			if timeout.Elapsed != tc.timeout || (timeout.Last == nil) != tc.noProgress || (timeout.LastErr != nil) != tc.lastErr {
				t.Fatalf("got %+v", *timeout)
			}
			if tc.failed >= 0 && b.progressCalls-len(b.answers) != tc.failed {
				t.Fatalf("%d calls, %d answers", b.progressCalls, len(b.answers))
			}
			for _, s := range b.clock.sleeps {
				if s > maxInterval {
					t.Fatalf("slept %v", s)
				}
			}
		})
	}
}

// slowSchedule asks for a wait far longer than any max interval.
type slowSchedule struct{}

func (slowSchedule) Next(schedule.Observation) (time.Duration, string) { return 24 * time.Hour, "slow" }

func TestMaxIntervalRespected(t *testing.T) {
	const maxInterval = 5 * time.Second
	for _, tc := range []struct {
		name  string
		setup func(*fakeBuild, *Request)
	}{
		{"adaptive", func(*fakeBuild, *Request) {}},
		{"custom schedule", func(_ *fakeBuild, r *Request) { r.Schedule = slowSchedule{} }},
		{"transient errors", func(b *fakeBuild, _ *Request) {
			b.errs = []error{transient("a"), transient("b"), transient("c"), transient("d"), transient("e"), nil}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuild(2 * time.Minute)
			req := Request{MaxInterval: maxInterval}
			tc.setup(b, &req)
			var pauses []time.Duration // before the next try after an error
			req.OnTransientError = func(_ error, next time.Duration) { pauses = append(pauses, next) }
			if _, err := b.run(t, req, time.Hour); err != nil {
				t.Fatal(err)
			}
			longest := time.Duration(0)
			for _, s := range append(pauses, b.clock.sleeps...) {
				longest = max(longest, s)
			}
			if longest != maxInterval {
				t.Fatalf("longest pause %v, want %v (sleeps %v, pauses after errors %v)", longest, maxInterval, b.clock.sleeps, pauses)
			}
		})
	}
}

func TestTimeoutMessages(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		err  TimeoutError
		want string
	}{
		{TimeoutError{ImageID: "i", Target: 100, Last: &compshare.Progress{Percent: 42.5, RemainingSeconds: f(105)}, Elapsed: 30*time.Minute + 400*time.Millisecond},
			"image i still at 42.5 % after 30m0s (about 1m45s left by the API's estimate)"},
		{TimeoutError{ImageID: "i", Target: 100, Last: &compshare.Progress{Percent: 0.29, RemainingSeconds: f(0)}, Elapsed: time.Minute},
			"image i still at 0.29 % after 1m0s (the API's estimate of the time left has run out)"},
		{TimeoutError{ImageID: "i", Target: 100, Last: &compshare.Progress{Percent: 99.999}, Elapsed: 1500 * time.Millisecond},
			"image i still at 99.99 % after 2s (the API gives no estimate of the time left)"},
		{TimeoutError{ImageID: "i", Target: 100, Last: &compshare.Progress{Percent: 100.0 / 3, RemainingSeconds: f(math.NaN())}, Elapsed: time.Hour},
			"image i still at 33.33 % after 1h0m0s (the API gives no estimate of the time left)"},
		{TimeoutError{ImageID: "i", Elapsed: 30 * time.Minute, LastErr: errors.New("HTTP 503")},
			"image i: no answer from the API after 30m0s: HTTP 503"},
		{TimeoutError{ImageID: "i"}, "image i: no answer from the API after 0s"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// blockingReader answers only when ctx ends, as the client does then.
type blockingReader struct{ constReader }

func (blockingReader) ImageProgress(ctx context.Context, _, _, id string) (compshare.Progress, error) {
	<-ctx.Done()
	return compshare.Progress{}, &compshare.Error{Action: compshare.ActionImageProgress, ImageID: id, Message: ctx.Err().Error(), Err: ctx.Err()}
}

func TestRealDeadlineDuringCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	// The read after the deadline is bounded too.
	_, err := waiter{r: blockingReader{}, clock: RealClock{}, statusTimeout: statusTimeout, finalReadTimeout: 50 * time.Millisecond}.wait(ctx, Request{ImageID: imageID, Target: 100})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || timeout.Last != nil || time.Since(start) > time.Second {
		t.Fatalf("error %v after %v, want a prompt *TimeoutError", err, time.Since(start))
	}
}

func TestCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Reader
		want string
	}{
		{"while sleeping", constReader{compshare.Progress{Percent: 12.25}}, "waiting for image compshareImage-x was interrupted at 12.25 % after 0s"},
		{"during a call", blockingReader{}, "waiting for image compshareImage-x was interrupted before any answer after 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			_, err := Wait(ctx, tc.r, Request{ImageID: imageID, Target: 100, MaxInterval: time.Hour, Schedule: schedule.NewFixed(time.Hour)})
			if took := time.Since(start); took > time.Second {
				t.Fatalf("returned after %v", took)
			}
			var timeout *TimeoutError
			if !errors.Is(err, context.Canceled) || errors.As(err, &timeout) || err.Error() != tc.want {
				t.Fatalf("got %q, want %q wrapping context.Canceled", err, tc.want)
			}
		})
	}
}

// The read after the deadline may find the target reached: below 100 % that
// ends the wait well; at 100 % the image must still be listed as Available.
func TestReadAfterDeadline(t *testing.T) {
	const maxInterval = 100 * time.Second
	b := newBuild(580 * time.Second)
	var polled []poll
	p, err := b.run(t, Request{Target: 50, MaxInterval: maxInterval, Schedule: schedule.NewFixed(maxInterval), OnPoll: func(p compshare.Progress, next time.Duration, _ string) {
		polled = append(polled, poll{p.Percent, next})
	}}, 290*time.Second)
	if err != nil || p.Percent != 50 || polled[len(polled)-1] != (poll{50, 0}) {
		t.Fatalf("p=%+v err=%v; polls %v", p, err, polled)
	}

	b = newBuild(290 * time.Second)
	_, err = b.run(t, Request{MaxInterval: maxInterval, Schedule: schedule.NewFixed(maxInterval)}, 290*time.Second)
	want := "image compshareImage-x still at 100 % after 4m50s (not yet listed as Available; listed as Making)"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}
