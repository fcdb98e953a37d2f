package imagewait

import (
	"errors"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// unreadable is an answer that could not be read, such as a proxy's page.
func unreadable() error {
	return &compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, Message: "the answer could not be read: <html>maintenance</html>", Unreadable: true}
}

// throttled is a 429 that asks for a pause.
func throttled(after time.Duration) error {
	return &compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, Status: 429, Message: "Too Many Requests", Transient: true, RetryAfter: after}
}

func notFound() error {
	return &compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, RetCode: 230, Message: "Params [CompShareImageId] not available"}
}

func TestUnreadableAnswerIsTransient(t *testing.T) {
	b := newBuild(time.Minute)
	b.errs = []error{unreadable(), unreadable(), unreadable(), nil}
	var reported []error
	p, err := b.run(t, Request{OnTransientError: func(err error, _ time.Duration) { reported = append(reported, err) }}, time.Hour)
	if err != nil || p.Percent != 100 || len(reported) != 3 {
		t.Fatalf("p=%+v err=%v; reported %v", p, err, reported)
	}

	// Bounded by the timeout.
	b = newBuild(time.Hour)
	b.errs = []error{unreadable()}
	_, err = b.run(t, Request{}, 10*time.Minute)
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || !compshare.IsUnreadable(timeout.LastErr) || b.elapsed() != 10*time.Minute {
		t.Fatalf("error %v after %v, want a timeout whose last error is the unreadable answer", err, b.elapsed())
	}
}

func TestUnreadableStatusIsTransient(t *testing.T) {
	b := newBuild(3 * time.Minute)
	b.statusErr, b.statusFaultEnd = unreadable(), 4*time.Minute
	p, err := b.run(t, Request{}, time.Hour)
	// Not taken for a refusal of the action: the wait ends on Available.
	if err != nil || p.Percent != 100 || b.elapsed() < b.statusFaultEnd {
		t.Fatalf("p=%+v err=%v after %v", p, err, b.elapsed())
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, tc := range []struct {
		name        string
		after       time.Duration
		maxInterval time.Duration
		timeout     time.Duration
		want        time.Duration
	}{
		{"longer than the backoff", 3 * time.Second, 0, time.Hour, 3 * time.Second},
		{"shorter than the backoff", 100 * time.Millisecond, 0, time.Hour, firstBackoff},
		{"capped by the max interval", time.Hour, 5 * time.Second, time.Hour, 5 * time.Second},
		{"capped by the deadline", 3 * time.Second, 0, 2 * time.Second, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuild(time.Minute)
			b.errs = []error{throttled(tc.after), nil}
			var pauses []time.Duration
			_, _ = b.run(t, Request{MaxInterval: tc.maxInterval, OnTransientError: func(_ error, next time.Duration) { pauses = append(pauses, next) }}, tc.timeout)
			if len(pauses) != 1 || pauses[0] != tc.want {
				t.Fatalf("pauses %v, want %v", pauses, tc.want)
			}
			// The next call, of either kind, came no sooner.
			if len(b.callsAt) > 1 && b.callsAt[1] < tc.want {
				t.Fatalf("calls at %v", b.callsAt)
			}
		})
	}
}

func TestNewImageBrieflyUnknown(t *testing.T) {
	b := newBuild(time.Minute)
	b.errs = []error{notFound(), notFound(), nil}
	var reported int
	p, err := b.run(t, Request{OnTransientError: func(error, time.Duration) { reported++ }}, time.Hour)
	if err != nil || p.Percent != 100 || reported != 2 {
		t.Fatalf("p=%+v err=%v, %d reported", p, err, reported)
	}
}

func TestUnknownImageAfterTheWindow(t *testing.T) {
	b := newBuild(time.Hour)
	b.errs = []error{notFound()}
	_, err := b.run(t, Request{}, time.Hour)
	if !compshare.IsNotFound(err) || b.elapsed() < NewImageWindow || b.elapsed() > NewImageWindow+schedule.DefaultMaxInterval {
		t.Fatalf("error %v after %v, want not-found soon after %v", err, b.elapsed(), NewImageWindow)
	}
}

func TestUnknownImageThatMayBeNew(t *testing.T) {
	b := newBuild(time.Hour)
	b.errs = []error{notFound()}
	_, err := b.run(t, Request{MayBeNew: true}, 10*time.Minute)
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || !compshare.IsNotFound(timeout.LastErr) || b.elapsed() != 10*time.Minute {
		t.Fatalf("error %v after %v, want a timeout", err, b.elapsed())
	}
}

// Once the API knew the image, not-found means it is gone.
func TestImageGoneAfterAnAnswer(t *testing.T) {
	for _, mayBeNew := range []bool{false, true} {
		b := newBuild(time.Hour)
		b.errs = []error{nil, notFound()}
		_, err := b.run(t, Request{MayBeNew: mayBeNew}, time.Hour)
		if !compshare.IsNotFound(err) || b.progressCalls != 2 {
			t.Fatalf("may be new %v: error %v after %d calls", mayBeNew, err, b.progressCalls)
		}
	}
}

func unreachable() error {
	return &compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, Message: "connection refused", Transient: true, Unreachable: true}
}

// Nothing answering at the base URL from the start is a setting to fix: the
// wait gives up after a minute, not at the end of its timeout. Once the API
// has answered, the same errors are an outage, ridden out.
func TestNothingAnswersFromTheStart(t *testing.T) {
	b := newBuild(time.Hour)
	b.errs, b.statusErr = []error{unreachable()}, unreachable()
	_, err := b.run(t, Request{}, time.Hour)
	if !compshare.IsUnreachable(err) || b.elapsed() < unreachableLimit || b.elapsed() > unreachableLimit+schedule.DefaultMaxInterval {
		t.Fatalf("error %v after %v, want unreachable soon after %v", err, b.elapsed(), unreachableLimit)
	}

	for _, answered := range []bool{false, true} {
		b = newBuild(time.Hour)
		b.errs, b.statusErr = []error{unreachable()}, unreachable()
		if !answered {
			b.errs = []error{nil, unreachable()}
		}
		_, err = b.run(t, Request{Answered: answered}, 10*time.Minute)
		var timeout *TimeoutError
		if !errors.As(err, &timeout) || !compshare.IsUnreachable(timeout.LastErr) || b.elapsed() != 10*time.Minute {
			t.Fatalf("after an answer (to the caller: %v): error %v after %v, want a timeout", answered, err, b.elapsed())
		}
	}
}
