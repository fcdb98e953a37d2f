package lifecycle

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// fakeClock advances only when slept on, instantly, and never past the
// deadline of the context slept with: test contexts carry their deadlines on
// this clock.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

// newFakeClock starts an hour ahead of the wall clock, so that the wall clock
// never reaches a test context's deadline.
func newFakeClock() *fakeClock { return &fakeClock{now: time.Now().Add(time.Hour)} }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) {
	c.sleeps = append(c.sleeps, d)
	if deadline, ok := ctx.Deadline(); ok && !c.now.Add(d).Before(deadline) {
		c.now = deadline
		return
	}
	c.now = c.now.Add(d)
}

// withDeadline is a context whose deadline is d after the fake clock's now.
func (c *fakeClock) withDeadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithDeadline(t.Context(), c.now.Add(d))
	t.Cleanup(cancel)
	return ctx
}

var (
	errNotFound  = &compshare.Error{Action: compshare.ActionDescribeImages, NotListed: true, Message: "not listed"}
	errTransient = &compshare.Error{Action: compshare.ActionDescribeImages, Status: http.StatusBadGateway, Transient: true}
	errBusy      = &compshare.Error{Action: compshare.ActionCreateImage, RetCode: compshare.RetCodeBuildRunning, Transient: true, Message: "instance already has an image being made"}
	errRefused   = &compshare.Error{Action: compshare.ActionDeleteImage, RetCode: 8433, Message: "service error"}
)

// answers returns f that returns errs in turn (the last repeats) and counts its calls.
func answers(errs ...error) (f func(context.Context) (int, error), calls *int) {
	calls = new(int)
	return func(context.Context) (int, error) {
		err := errs[min(*calls, len(errs)-1)]
		*calls++
		return *calls, err
	}, calls
}

func TestRetryWhenNotFound(t *testing.T) {
	for _, tc := range []struct {
		name      string
		errs      []error
		window    time.Duration
		wantCalls int
		wantErr   func(error) bool
		wantWait  time.Duration // on the fake clock
	}{
		{name: "found at once", errs: []error{nil}, window: 30 * time.Second, wantCalls: 1, wantErr: isNil},
		{name: "too new, then found", errs: []error{errNotFound, errNotFound, errTransient, nil}, window: 30 * time.Second, wantCalls: 4, wantErr: isNil, wantWait: 7 * time.Second},
		// Pauses 1, 2, 4, 4, ... (MaxInterval 4): calls at 0, 1, 3, 7, 11, ..., 27, 31.
		{name: "not found after the window is an answer", errs: []error{errNotFound}, window: 30 * time.Second, wantCalls: 10, wantErr: compshare.IsNotFound, wantWait: 31 * time.Second},
		{name: "another error is returned at once", errs: []error{errRefused}, window: 30 * time.Second, wantCalls: 1, wantErr: func(err error) bool { return errors.Is(err, errRefused) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			ctx := clock.withDeadline(t, time.Hour)
			start := clock.Now()
			var retries []Retry
			f, calls := answers(tc.errs...)
			n, err := RetryWhenNotFound(ctx, Polling{Interval: time.Second, MaxInterval: 4 * time.Second, Clock: clock, OnRetry: func(r Retry) { retries = append(retries, r) }}, tc.window, f)
			if *calls != tc.wantCalls || n != tc.wantCalls || !tc.wantErr(err) || clock.Now().Sub(start) != tc.wantWait {
				t.Fatalf("%d calls, result %d, err %v, waited %v; want %d calls, waited %v", *calls, n, err, clock.Now().Sub(start), tc.wantCalls, tc.wantWait)
			}
			if len(retries) != tc.wantCalls-1 {
				t.Errorf("%d retries told for %d calls", len(retries), tc.wantCalls)
			}
			for i, r := range retries {
				if r.Pause != clock.sleeps[i] || r.Reason == "" || r.Err == nil {
					t.Errorf("retry %d told %+v, slept %v", i, r, clock.sleeps[i])
				}
			}
		})
	}
}

// The context ends the retries: the error says so and still says not found.
func TestRetryWhenNotFoundTimesOut(t *testing.T) {
	clock := newFakeClock()
	ctx := clock.withDeadline(t, 10*time.Second)
	f, _ := answers(errNotFound)
	_, err := RetryWhenNotFound(ctx, Polling{Interval: time.Second, MaxInterval: 4 * time.Second, Clock: clock}, time.Minute, f)
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || !compshare.IsNotFound(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a *TimeoutError that is not found", err)
	}
	if deadline, _ := ctx.Deadline(); clock.Now().After(deadline) {
		t.Errorf("slept past the deadline to %v", clock.Now())
	}
}

func TestRetryUntilNotFound(t *testing.T) {
	for _, tc := range []struct {
		name      string
		errs      []error
		deadline  time.Duration
		wantCalls int
		wantErr   func(error) bool
	}{
		{name: "gone at once", errs: []error{errNotFound}, deadline: time.Minute, wantCalls: 1, wantErr: isNil},
		{name: "listed, a fault, then gone", errs: []error{nil, nil, errTransient, errNotFound}, deadline: time.Minute, wantCalls: 4, wantErr: isNil},
		{name: "a refusal ends it", errs: []error{nil, errRefused}, deadline: time.Minute, wantCalls: 2, wantErr: func(err error) bool { return errors.Is(err, errRefused) }},
		// Fixed 2-s pauses: calls at 0, 2, ..., 8; the next pause would end at the deadline.
		{name: "still listed at the deadline", errs: []error{nil}, deadline: 10 * time.Second, wantCalls: 5, wantErr: func(err error) bool {
			var timeout *TimeoutError
			return errors.As(err, &timeout) && timeout.Last == nil && !compshare.IsNotFound(err) && errors.Is(err, context.DeadlineExceeded)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			ctx := clock.withDeadline(t, tc.deadline)
			f, calls := answers(tc.errs...)
			err := RetryUntilNotFound(ctx, Polling{Interval: 2 * time.Second, Clock: clock}, func(ctx context.Context) error { _, err := f(ctx); return err })
			if *calls != tc.wantCalls || !tc.wantErr(err) {
				t.Fatalf("%d calls, err %v; want %d calls", *calls, err, tc.wantCalls)
			}
		})
	}
}

func TestRetryWhileBusy(t *testing.T) {
	clock := newFakeClock()
	ctx := clock.withDeadline(t, time.Hour)
	f, calls := answers(errBusy, errBusy, errBusy, nil)
	var reasons []string
	n, err := RetryWhileBusy(ctx, Polling{Interval: 2 * time.Second, MaxInterval: 15 * time.Second, Clock: clock, OnRetry: func(r Retry) {
		if !compshare.IsBusy(r.Err) {
			t.Errorf("retry told %+v", r)
		}
		reasons = append(reasons, r.Reason)
	}}, f)
	if err != nil || n != 4 || *calls != 4 || len(reasons) != 3 {
		t.Fatalf("result %d, err %v, %d calls, retries %v", n, err, *calls, reasons)
	}
	if want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}; !slices.Equal(clock.sleeps, want) {
		t.Errorf("pauses %v, want %v", clock.sleeps, want)
	}

	// Anything but a busy refusal is not tried again: a lost answer may
	// have started what f does.
	for _, first := range []error{errTransient, errRefused, errNotFound} {
		f, calls := answers(first, nil)
		if _, err := RetryWhileBusy(ctx, Polling{Clock: clock}, f); !errors.Is(err, first) || *calls != 1 {
			t.Errorf("after %v: err %v, %d calls", first, err, *calls)
		}
	}

	// Busy until the deadline: the error wraps the refusal.
	ctx = clock.withDeadline(t, time.Minute)
	f, _ = answers(errBusy)
	if _, err := RetryWhileBusy(ctx, Polling{Interval: 2 * time.Second, MaxInterval: 15 * time.Second, Clock: clock}, f); !compshare.IsBusy(err) || !errors.As(err, new(*TimeoutError)) {
		t.Errorf("busy until the deadline: %v", err)
	}
}

// A cancelled context ends the retries at once, as an interruption.
func TestRetryInterrupted(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(clock.withDeadline(t, time.Hour))
	f, calls := answers(errBusy)
	_, err := RetryWhileBusy(ctx, Polling{Clock: clock, OnRetry: func(Retry) { cancel() }}, f)
	if !errors.Is(err, context.Canceled) || *calls != 1 {
		t.Fatalf("err %v after %d calls", err, *calls)
	}
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || !strings.HasPrefix(timeout.Error(), "interrupted after") {
		t.Errorf("err %q", err)
	}
}

// An instance's life as the waiter sees it: rules per transition, the same
// engine. Start: Starting/Install are pending, Running reached, Stopped failed.
func TestWaitForStatus(t *testing.T) {
	untilRunning := func(s string) Outcome {
		switch s {
		case "Running":
			return Reached
		case "Stopped", "Install Fail":
			return Failed
		}
		return Pending
	}
	type answer struct {
		status string
		err    error
	}
	for _, tc := range []struct {
		name       string
		answers    []answer
		newFor     time.Duration
		wantStatus string
		wantErr    func(error) bool
	}{
		{name: "reached", answers: []answer{{"Install", nil}, {"Starting", nil}, {"", errTransient}, {"Running", nil}}, wantStatus: "Running", wantErr: isNil},
		{name: "too new, then reached", answers: []answer{{"", errNotFound}, {"Running", nil}}, newFor: 30 * time.Second, wantStatus: "Running", wantErr: isNil},
		{name: "not found when not new", answers: []answer{{"", errNotFound}}, wantErr: compshare.IsNotFound},
		{name: "failed", answers: []answer{{"Starting", nil}, {"Install Fail", nil}}, wantStatus: "Install Fail", wantErr: func(err error) bool {
			var failed *StatusError
			return errors.As(err, &failed) && failed.Status == "Install Fail"
		}},
		{name: "timed out", answers: []answer{{"Starting", nil}}, wantStatus: "Starting", wantErr: func(err error) bool {
			var timeout *TimeoutError
			return errors.As(err, &timeout) && timeout.Status == "Starting" && errors.Is(err, context.DeadlineExceeded)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			ctx := clock.withDeadline(t, 5*time.Minute)
			calls := 0
			status, err := WaitForStatus(ctx, Polling{Interval: 5 * time.Second, Clock: clock}, tc.newFor, untilRunning, func(context.Context) (string, error) {
				a := tc.answers[min(calls, len(tc.answers)-1)]
				calls++
				return a.status, a.err
			})
			if status != tc.wantStatus || !tc.wantErr(err) {
				t.Fatalf("status %q, err %v; want %q", status, err, tc.wantStatus)
			}
		})
	}
}

func isNil(err error) bool { return err == nil }
