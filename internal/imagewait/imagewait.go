// Package imagewait waits for a Compshare image build to reach a target
// percentage: it polls the progress API on a schedule, rides out transient
// faults, and looks for a failed build, which the progress action cannot report.
package imagewait

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

const (
	// statusEvery bounds how long a failed build whose progress still seems
	// to move goes unnoticed, at about one extra call a minute.
	statusEvery = 60 * time.Second
	// stallPolls answers without movement make a failure likely enough to
	// look the status up at once.
	stallPolls = 2
	// statusTimeout bounds one status lookup: it is optional, so a slow
	// server must not hold up the progress polls.
	statusTimeout = 10 * time.Second
	// firstBackoff is the pause after the first transient error; it doubles up to the max interval.
	firstBackoff = time.Second
	// maxEstimate (seconds, about 30 years) bounds what is taken as an
	// estimate: beyond, it means nothing and would overflow a Duration.
	maxEstimate = 1e9
)

// Reader is what a wait needs of the API; *compshare.Client implements it.
type Reader interface {
	ImageProgress(ctx context.Context, region, zone, imageID string) (compshare.Progress, error)
	ImageStatus(ctx context.Context, region, zone, imageID string) (compshare.ImageStatus, error)
}

var _ Reader = (*compshare.Client)(nil)

// Request says which image to wait for and how.
type Request struct {
	Region, Zone, ImageID string
	Target                float64           // percent, (0, 100]
	MaxInterval           time.Duration     // upper bound between two polls (<=0: schedule.DefaultMaxInterval)
	Schedule              schedule.Schedule // nil: schedule.NewAdaptive(Target, MaxInterval)
	// OnPoll, if set, is called after every progress answer with the delay
	// before the next poll (0 when the wait is over).
	OnPoll func(p compshare.Progress, next time.Duration)
	// OnTransientError, if set, is called when a poll failed in a way that
	// may pass, with the delay before the next try.
	OnTransientError func(err error, next time.Duration)
}

func (r Request) notify(p compshare.Progress, next time.Duration) {
	if r.OnPoll != nil {
		r.OnPoll(p, next)
	}
}

// Wait polls until progress >= req.Target and returns the last answer. On
// error the Progress is zero; the error is a *TimeoutError when ctx's deadline
// passed, a *FailedError when the platform marked the build failed, an error
// wrapping context.Canceled when ctx was cancelled, or the API's error as is.
func Wait(ctx context.Context, r Reader, req Request) (compshare.Progress, error) {
	return waiter{clock: realClock{}, statusTimeout: statusTimeout}.wait(ctx, r, req)
}

// TimeoutError says that the deadline passed before the target was reached.
type TimeoutError struct {
	ImageID string
	Last    *compshare.Progress // nil when no answer arrived
	Elapsed time.Duration
	LastErr error // last transient error, if any
}

func (e *TimeoutError) Error() string {
	after := e.Elapsed.Round(time.Second)
	if e.Last == nil {
		if e.LastErr == nil {
			return fmt.Sprintf("image %s: no answer from the API after %v", e.ImageID, after)
		}
		return fmt.Sprintf("image %s: no answer from the API after %v: %v", e.ImageID, after, e.LastErr)
	}
	var left string
	switch r := apiDuration(e.Last.RemainingSeconds); {
	case r > 0:
		left = fmt.Sprintf("about %v left by the API's estimate", r.Round(time.Second))
	case r == 0:
		left = "the API's estimate of the time left has run out"
	default:
		left = "the API gives no estimate of the time left"
	}
	return fmt.Sprintf("image %s still at %s %% after %v (%s)", e.ImageID, FormatPercent(e.Last.Percent), after, left)
}

// Unwrap lets errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// FailedError says that the platform marked the build failed.
type FailedError struct {
	ImageID, Reason, RequestID string
	Progress                   float64
}

func (e *FailedError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "the API gives no reason"
	}
	msg := fmt.Sprintf("the build of image %s failed at %s %%: %s", e.ImageID, FormatPercent(e.Progress), reason)
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	return msg
}

// clock lets tests run a wait on fake time.
type clock interface {
	Now() time.Time
	// Sleep waits d, or less when ctx ends first.
	Sleep(ctx context.Context, d time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

type waiter struct {
	clock         clock
	statusTimeout time.Duration
}

func (w waiter) wait(ctx context.Context, r Reader, req Request) (compshare.Progress, error) {
	if !(req.Target > 0 && req.Target <= 100) {
		return compshare.Progress{}, fmt.Errorf("image %s: target %v %% is outside (0, 100]", req.ImageID, req.Target)
	}
	maxInterval := req.MaxInterval
	if maxInterval <= 0 {
		maxInterval = schedule.DefaultMaxInterval
	}
	maxInterval = max(maxInterval, schedule.MinInterval)
	sched := req.Schedule
	if sched == nil {
		sched = schedule.NewAdaptive(req.Target, maxInterval)
	}

	s := &state{imageID: req.ImageID, start: w.clock.Now()}
	status := &statusCheck{waiter: w, r: r, req: req, last: s.start}
	backoff, idle := firstBackoff, 0
	for {
		if err := s.interrupted(ctx, w.clock.Now()); err != nil {
			return compshare.Progress{}, err
		}
		p, err := r.ImageProgress(ctx, req.Region, req.Zone, req.ImageID)
		now := w.clock.Now()
		var delay time.Duration
		lookUp := now.Sub(status.last) >= statusEvery
		switch {
		case err != nil:
			// The client reports an ended ctx as its own error; what the
			// caller must see is the timeout or the cancellation.
			if ierr := s.interrupted(ctx, now); ierr != nil {
				return compshare.Progress{}, ierr
			}
			if !compshare.IsTransient(err) {
				// A failed build may be why the progress action refuses.
				if ferr := status.failure(ctx, now, s.lastPercent()); ferr != nil {
					return compshare.Progress{}, ferr
				}
				return compshare.Progress{}, err
			}
			s.lastErr = err
			delay, backoff = min(backoff, maxInterval), min(2*backoff, maxInterval)
			if req.OnTransientError != nil {
				req.OnTransientError(err, delay)
			}
		case !(p.Percent >= 0 && p.Percent <= 100):
			// The client refuses such answers; other Readers may not.
			return compshare.Progress{}, fmt.Errorf("image %s: the API answered progress %v %%, outside 0..100 (request id %s)", req.ImageID, p.Percent, p.RequestID)
		case p.Percent >= req.Target:
			req.notify(p, 0)
			return p, nil
		default:
			if s.last != nil && p.Percent <= s.last.Percent {
				idle++
			} else {
				idle = 0
			}
			s.last, backoff = &p, firstBackoff
			// Clamped also here, since req.Schedule may be any schedule.
			delay = min(max(sched.Next(Observe(p, now)), schedule.MinInterval), maxInterval)
			lookUp = lookUp || idle == stallPolls
		}
		if lookUp {
			if ferr := status.failure(ctx, now, s.lastPercent()); ferr != nil {
				if s.last != nil {
					req.notify(*s.last, 0)
				}
				return compshare.Progress{}, ferr
			}
			// The lookup took time the schedule meant to sleep.
			delay = max(0, delay-w.clock.Now().Sub(now))
		}
		if err == nil {
			req.notify(p, delay)
		}
		w.clock.Sleep(ctx, delay)
	}
}

// statusCheck looks the image's status up, which is the only way to learn
// that a build failed.
type statusCheck struct {
	waiter
	r        Reader
	req      Request
	last     time.Time // of the latest lookup
	disabled bool      // the server refused the action: do not ask again
}

// failure returns the error for a failed build, else nil. Lookup errors are
// dropped: the action may be unsupported or refuse the image (then it is not
// asked again), and the progress polls go on without it.
func (c *statusCheck) failure(ctx context.Context, now time.Time, progress float64) *FailedError {
	if c.disabled {
		return nil
	}
	c.last = now
	ctx, cancel := context.WithTimeout(ctx, c.statusTimeout)
	defer cancel()
	st, err := c.r.ImageStatus(ctx, c.req.Region, c.req.Zone, c.req.ImageID)
	if err != nil {
		c.disabled = !compshare.IsTransient(err) && ctx.Err() == nil
		return nil
	}
	if !st.Failed() {
		return nil
	}
	return &FailedError{ImageID: c.req.ImageID, Reason: st.FailedReason, RequestID: st.RequestID, Progress: progress}
}

// state is what a wait has seen so far, for the error that ends it.
type state struct {
	imageID string
	start   time.Time
	last    *compshare.Progress // latest answer; nil before the first
	lastErr error               // latest transient error
}

// lastPercent is the latest answer's progress, 0 before the first.
func (s *state) lastPercent() float64 {
	if s.last == nil {
		return 0
	}
	return s.last.Percent
}

// interrupted returns the error that ends the wait if ctx is over, else nil.
// The deadline is compared with the wait's clock so that fake time can reach it.
func (s *state) interrupted(ctx context.Context, now time.Time) error {
	deadline, ok := ctx.Deadline()
	switch {
	case ok && !now.Before(deadline), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &TimeoutError{ImageID: s.imageID, Last: s.last, Elapsed: now.Sub(s.start), LastErr: s.lastErr}
	case ctx.Err() != nil:
		where := "before any answer"
		if s.last != nil {
			where = "at " + FormatPercent(s.last.Percent) + " %"
		}
		return fmt.Errorf("waiting for image %s stopped %s after %v: %w", s.imageID, where, now.Sub(s.start).Round(time.Second), ctx.Err())
	}
	return nil
}

// Observe turns an answer that arrived at the given moment into what a
// schedule (or schedule.ETA) reads.
func Observe(p compshare.Progress, at time.Time) schedule.Observation {
	return schedule.Observation{At: at, Progress: p.Percent, Total: apiDuration(p.TotalSeconds), Remaining: apiDuration(p.RemainingSeconds)}
}

// apiDuration converts an estimate in seconds; negative when there is none.
func apiDuration(seconds *float64) time.Duration {
	if seconds == nil || !(*seconds >= 0 && *seconds < maxEstimate) {
		return -1
	}
	return time.Duration(*seconds * float64(time.Second))
}

// FormatPercent prints p with at most two decimals, rounded down so that a build
// short of its target never reads as having reached it. The small addend
// keeps 0.29 (28.999... when scaled) from printing as 0.28.
func FormatPercent(p float64) string {
	return strconv.FormatFloat(math.Floor(p*100+1e-9)/100, 'f', -1, 64)
}
