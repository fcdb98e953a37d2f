// Package lifecycle holds the waits and retries of a resource's life on the
// Compshare API, apart from Terraform: the eventual-consistency helpers (an
// id the API may not know yet, a deleted resource that stays listed for a
// while), the retry of a refusal that passes with time (a build of the
// instance in progress, an operation lock), and a wait for a status judged
// by rules. A resource's lifecycle (image.go for custom images) is a set of
// calls and status rules on these.
//
// Every helper takes its timing from a Polling: the pause after each try,
// which doubles up to a bound, and a hook told of each pause and its reason
// (the debug log's "why the next call comes when it does"). They run until
// ctx ends; a pause that would end after ctx's deadline is not taken. The
// clock is injectable, so that tests run on fake time; a fake clock's ctx
// carries its deadline on that clock.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
)

// Polling says when a helper tries again: Interval after the first try, then
// twice the last pause, up to MaxInterval.
type Polling struct {
	Interval    time.Duration   // first pause; <= 0: one second
	MaxInterval time.Duration   // bound of the pauses; < Interval: Interval (fixed pauses)
	Clock       imagewait.Clock // nil: imagewait.RealClock
	// OnRetry, if set, is told of each pause before it is taken: why the
	// last try did not end the helper, and how long until the next.
	OnRetry func(Retry)
}

// Retry is one pause of a helper.
type Retry struct {
	Reason string        // why the helper tries again, such as "not found: may be too new"
	Err    error         // the last try's error, if any
	Status string        // the last status read, if any (WaitForStatus)
	Pause  time.Duration // until the next try
}

func (p Polling) clock() imagewait.Clock {
	if p.Clock == nil {
		return imagewait.RealClock{}
	}
	return p.Clock
}

// TimeoutError says that ctx ended (its deadline passed, or it was
// cancelled) before the helper's condition was met. It wraps both ctx's
// error and the last try's, so that errors.Is(err, context.Canceled) and
// compshare.IsNotFound(err) see through it.
type TimeoutError struct {
	Waited time.Duration // from the first try to giving up
	Last   error         // the last try's error; nil if it had none
	Status string        // the last status read (WaitForStatus); "" if none
	cause  error
}

func (e *TimeoutError) Error() string {
	what := "timed out"
	if errors.Is(e.cause, context.Canceled) {
		what = "interrupted"
	}
	msg := fmt.Sprintf("%s after %v", what, e.Waited.Round(time.Second))
	switch {
	case e.Last != nil:
		msg += "; last: " + e.Last.Error()
	case e.Status != "":
		msg += "; last status: " + e.Status
	}
	return msg
}

func (e *TimeoutError) Unwrap() []error {
	if e.Last == nil {
		return []error{e.cause}
	}
	return []error{e.cause, e.Last}
}

// try is one call of a helper's loop: whether to try again, why, and what it
// returned.
type try func(ctx context.Context) (again bool, reason, status string, err error)

// run calls f until it says not to try again, and returns its last error;
// or until ctx ends, and returns a *TimeoutError.
func (p Polling) run(ctx context.Context, f try) error {
	clock := p.clock()
	pause := p.Interval
	if pause <= 0 {
		pause = time.Second
	}
	start := clock.Now()
	for {
		again, reason, status, err := f(ctx)
		if !again {
			return err
		}
		timeout := &TimeoutError{Waited: clock.Now().Sub(start), Last: err, Status: status, cause: context.DeadlineExceeded}
		if deadline, ok := ctx.Deadline(); ok && !clock.Now().Add(pause).Before(deadline) {
			return timeout
		}
		if ctx.Err() != nil {
			timeout.cause = context.Cause(ctx)
			return timeout
		}
		if p.OnRetry != nil {
			p.OnRetry(Retry{Reason: reason, Err: err, Status: status, Pause: pause})
		}
		clock.Sleep(ctx, pause)
		if ctx.Err() != nil {
			timeout.Waited, timeout.cause = clock.Now().Sub(start), context.Cause(ctx)
			return timeout
		}
		pause = min(2*pause, max(p.MaxInterval, pause))
	}
}

// passing reports whether an error may go away on its own: a transient fault
// or an unreadable answer that outlasted the client's own retries.
func passing(err error) bool { return compshare.IsTransient(err) || compshare.IsUnreadable(err) }

// RetryWhenNotFound calls f until it returns other than not found
// (compshare.IsNotFound), as long as window has not passed since the first
// call: "not found may be too new", as the API may not know an id it has
// just given, nor list what was just made. A passing fault within the window
// is retried too. Once the window has passed, f's answer is returned as it
// is; when ctx ends first, a *TimeoutError wrapping f's last error.
func RetryWhenNotFound[T any](ctx context.Context, p Polling, window time.Duration, f func(context.Context) (T, error)) (T, error) {
	var out T
	until := p.clock().Now().Add(window)
	err := p.run(ctx, func(ctx context.Context) (bool, string, string, error) {
		var err error
		out, err = f(ctx)
		switch within := p.clock().Now().Before(until); {
		case within && compshare.IsNotFound(err):
			return true, "not found: may be too new", "", err
		case within && passing(err):
			return true, "a fault that may pass", "", err
		}
		return false, "", "", err
	})
	return out, err
}

// RetryUntilNotFound calls f until it returns not found (compshare.IsNotFound),
// which ends it with nil: what was deleted is gone. f returning nil (still
// there) or a passing fault is retried; any other error is returned as it is;
// ctx ending first is a *TimeoutError.
func RetryUntilNotFound(ctx context.Context, p Polling, f func(context.Context) error) error {
	return p.run(ctx, func(ctx context.Context) (bool, string, string, error) {
		switch err := f(ctx); {
		case compshare.IsNotFound(err):
			return false, "", "", nil
		case err == nil:
			return true, "still there", "", nil
		case passing(err):
			return true, "a fault that may pass", "", err
		default:
			return false, "", "", err
		}
	})
}

// RetryWhileBusy calls f again while the API refuses it for a reason that
// passes with time (compshare.IsBusy: the instance already has an image
// being built), until ctx ends: then a *TimeoutError wrapping the last
// refusal. Any other result is returned as it is. f is called again only
// after the API refused it, so a call that is not idempotent is safe here.
func RetryWhileBusy[T any](ctx context.Context, p Polling, f func(context.Context) (T, error)) (T, error) {
	var out T
	err := p.run(ctx, func(ctx context.Context) (bool, string, string, error) {
		var err error
		out, err = f(ctx)
		return compshare.IsBusy(err), "refused for now: busy", "", err
	})
	return out, err
}

// Outcome is what a status means to one wait.
type Outcome int

const (
	Pending Outcome = iota // not there yet: keep waiting
	Reached                // the wait is over
	Failed                 // the wait ends with a *StatusError
)

// Rules judge a status word for one wait: the same word may be Reached for
// one (Running, after a start) and Pending or Failed for another (a stop).
type Rules func(status string) Outcome

// StatusError says that a wait met a status its rules call Failed.
type StatusError struct{ Status string }

func (e *StatusError) Error() string { return "status " + e.Status }

// WaitForStatus looks the status up with lookup until rules judge it Reached,
// and returns it. A status judged Failed ends it with a *StatusError. A
// passing fault is retried; so is not found during newFor from the first
// lookup (a resource made a moment ago); any other error is returned as it
// is; ctx ending first is a *TimeoutError with the last status. The image
// build's wait is imagewait's, which adapts its pauses to the build's
// progress; this is the plain wait of a lifecycle without progress.
func WaitForStatus(ctx context.Context, p Polling, newFor time.Duration, rules Rules, lookup func(context.Context) (string, error)) (string, error) {
	var status string
	until := p.clock().Now().Add(newFor)
	err := p.run(ctx, func(ctx context.Context) (bool, string, string, error) {
		s, err := lookup(ctx)
		switch {
		case err == nil:
			status = s
		case compshare.IsNotFound(err) && p.clock().Now().Before(until):
			return true, "not found: may be too new", status, err
		case passing(err):
			return true, "a fault that may pass", status, err
		default:
			return false, "", status, err
		}
		switch rules(s) {
		case Reached:
			return false, "", s, nil
		case Failed:
			return false, "", s, &StatusError{Status: s}
		}
		return true, "status " + s, s, nil
	})
	return status, err
}
