// Package imagewait waits for a Compshare image build to reach a target
// percentage: it polls the progress API on a schedule, rides out transient
// faults, and looks the image's status up, since the progress action can say
// neither that a build failed nor that a finished image is usable.
package imagewait

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// NewImageWindow is how long after an image was created the API may not know
// its id yet: a wait that starts within it retries not-found like a transient
// fault (until a first answer), and not-found then proves nothing about an
// image's being gone.
const NewImageWindow = 30 * time.Second

const (
	// A failed build is reported within max(noticeWithin, 1/noticeShare of
	// the time the wait has run) of failing, and never later than the max
	// interval after it (plus the lookup's own time). See lookupGap.
	noticeWithin = 10 * time.Second
	noticeShare  = 10
	// statusTimeout bounds one status lookup: it is optional, so a slow
	// server must not hold up the progress polls.
	statusTimeout = 10 * time.Second
	// finalReadTimeout bounds the read that tells a timed-out wait's error
	// where the build is now.
	finalReadTimeout = 5 * time.Second
	// confirmEvery is the pause between two status lookups while a build at
	// 99.99 % may end any moment (from the earliest end the schedule
	// predicted), as long as the calls saved earlier last (then the call
	// budget's pace): it keeps the lag to Available within the targets of
	// 1 s median and 2 s worst, with a call's latency to spare. At 100 %
	// and not yet Available, nothing tells when the listing will follow:
	// lookups come every schedule.BudgetInterval/2, half fixed polling's
	// worst lag for fewer of the saved calls.
	confirmEvery = time.Second
	// stayPercent is where builds often stay a while before their end
	// (API-NOTES.md, "sit at 99 % for a while"): a stop there is looked
	// up at once.
	stayPercent = 99
	// unreachableLimit is how long a wait that has never reached the API
	// goes on trying: nothing answering at the base URL from the start is
	// most likely a wrong base_url, not an outage to sit out until the
	// timeout. Once the API has answered, an outage is ridden out.
	unreachableLimit = time.Minute
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
	// MayBeNew says that the image may have been created a moment ago (for
	// example, the plan could not read it): until a first answer, not-found
	// is retried like a transient fault for the whole wait, not only for
	// NewImageWindow.
	MayBeNew bool
	// Answered says that the API answered the caller a moment ago (it
	// created the image): nothing answering during the wait is then an
	// outage, ridden out, and not a wrong base URL (see unreachableLimit).
	Answered bool
	// OnPoll, if set, is called after every progress answer with the delay
	// before the wait next calls the API (0 when the wait ends with it) and
	// why the next call comes then, in a few words: the schedule's reason
	// for a progress poll, or what a status lookup is for.
	OnPoll func(p compshare.Progress, next time.Duration, reason string)
	// OnLookup, if set, is called after every status lookup that answered,
	// with the status word, the delay before the wait next calls the API
	// (0 when the wait ends with it) and why then, as OnPoll.
	OnLookup func(status string, next time.Duration, reason string)
	// OnTransientError, if set, is called when a poll failed in a way that
	// may pass (a transient error, an unreadable answer, not-found of a new
	// image), with the delay before the next try.
	OnTransientError func(err error, next time.Duration)
	// OnUnknownStatus, if set, is called the first time the status action
	// answers a word this package does not know; the wait goes on.
	OnUnknownStatus func(status string)
}

// normalized checks the target and fills in the defaults (the max interval's
// from schedule.MaxInterval).
func (r Request) normalized() (Request, error) {
	if !(r.Target > 0 && r.Target <= 100) {
		return r, fmt.Errorf("image %s: target %v %% is outside (0, 100]", r.ImageID, r.Target)
	}
	r.MaxInterval = schedule.MaxInterval(r.MaxInterval)
	if r.Schedule == nil {
		r.Schedule = schedule.NewAdaptive(r.Target, r.MaxInterval)
	}
	return r, nil
}

// Wait polls until progress >= req.Target and returns the last answer. At a
// Target of 100 it waits until DescribeCompShareCustomImages lists the image
// as Available, which ends it whatever the progress reads (from 99.99 %, the
// API's last value before 100, it looks the status up instead of reading the
// progress; see statusDecides); when that action is
// refused (a non-transient error other than not-found) the progress alone
// decides, and when the progress action refuses the image (as it is reported
// to for container images) the status alone does. The status is also looked
// up to notice a failed build (see lookupGap), and before a progress poll
// that would likely read 100, which it then spares (see expectsUsable), and
// while the progress stands still in place of a poll (see lookupInstead). With
// the default schedule, the lookups count in the schedule's call budget
// (schedule.Budget), and the schedule is told of each one
// (schedule.Observation.Lookup), so the polls after a lookup make up for it
// and the end of a true API clock keeps its call; a lookup
// for failure is not held back by the budget, so that a failure is reported
// within its bound. When
// ctx's deadline passes, the progress is read once more (for at most a few
// seconds) so that the *TimeoutError tells where the build is now.
//
// On error the Progress is zero; the error is a *TimeoutError when ctx's
// deadline passed, a *FailedError when the platform listed the image as
// failed or taken down, an *InterruptedError (wrapping context.Canceled) when
// ctx was cancelled, or the API's error as is: one that is not transient, or
// one for which compshare.IsUnreachable holds when nothing has answered at
// the base URL during the wait's first minute (and req.Answered is false).
func Wait(ctx context.Context, r Reader, req Request) (compshare.Progress, error) {
	return waiter{r: r, clock: RealClock{}, statusTimeout: statusTimeout, finalReadTimeout: finalReadTimeout}.wait(ctx, req)
}

// TimeoutError says that the deadline passed before the target was reached.
type TimeoutError struct {
	ImageID string
	Target  float64             // percent
	Last    *compshare.Progress // nil when no answer arrived
	Status  string              // the latest status word; "" when none was read
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
	left := TimeLeft(*e.Last, e.Target, 0)
	if e.Status != "" && e.Last.Percent >= e.Target {
		left += "; listed as " + e.Status
	}
	return fmt.Sprintf("image %s still at %s %% after %v (%s)", e.ImageID, FormatPercent(e.Last.Percent), after, left)
}

// Unwrap lets errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// InterruptedError says that the wait was cancelled (Ctrl-C) before the
// image was usable.
type InterruptedError struct {
	ImageID string
	Where   string // "at 42.5 %", or "before any answer"
	Elapsed time.Duration
	cause   error
}

// Error words it for a person: "interrupted", not "context canceled".
func (e *InterruptedError) Error() string {
	return fmt.Sprintf("waiting for image %s was interrupted %s after %v", e.ImageID, e.Where, e.Elapsed.Round(time.Second))
}

// Unwrap lets errors.Is(err, context.Canceled) hold.
func (e *InterruptedError) Unwrap() error { return e.cause }

// FailedError says that the platform listed the image as failed or taken
// down (DescribeCompShareCustomImages: UnAvailable or Offline).
type FailedError struct {
	ImageID   string
	Status    string // the status word as the API wrote it
	Reason    string // the API's FailedReason; may be empty
	RequestID string
	Progress  float64 // percent, at the latest answer
}

func (e *FailedError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "the API gives no reason"
	}
	what := "the build of image " + e.ImageID + " failed"
	if !strings.EqualFold(e.Status, compshare.StatusFailed) {
		what = "image " + e.ImageID + " is " + e.Status
	}
	msg := fmt.Sprintf("%s at %s %%: %s", what, FormatPercent(e.Progress), reason)
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	return msg
}

// Clock is what a wait (and internal/lifecycle's polling) needs of time,
// so that tests run them on fake time.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or less when ctx ends first.
	Sleep(ctx context.Context, d time.Duration)
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// waiter is what a wait works with; what it learns is in a state.
type waiter struct {
	r                Reader
	clock            Clock
	statusTimeout    time.Duration // bounds one status lookup
	finalReadTimeout time.Duration // bounds the read after the deadline
}

// state is everything a wait has learnt so far. The loop's steps read and
// update it; nothing else changes during a wait.
type state struct {
	req   Request // normalized
	start time.Time

	last    *compshare.Progress // latest answer; nil before the first
	lastAt  time.Time           // when last arrived
	prev    *compshare.Progress // the answer before last; nil before the second
	prevAt  time.Time           // when prev arrived
	moving  bool                // the latest answer showed movement
	lastErr error               // latest transient error
	reached bool                // the API answered at least once, if only to refuse
	backoff time.Duration       // pause after the next transient error
	pollAt  time.Time           // when to read the progress next
	pollWhy string              // why then: the schedule's reason
	// retryAt: no progress poll before then, as a backoff or the progress
	// action's Retry-After asked; a status lookup's re-plan keeps it.
	retryAt time.Time
	// tookSlot: a status lookup took the poll's slot since the latest answer.
	tookSlot bool
	// endAt: at 99.99 %, the earliest end the default schedule predicted
	// before (see observe); zero when unknown.
	endAt time.Time

	calls    int       // requests made: progress and status
	lookupAt time.Time // when to look the status up next
	// budgeted: the wait runs the default schedule, whose call budget
	// (schedule.Budget) counts the status lookups too.
	budgeted  bool
	lookedAt  time.Time // when the status was last looked up; zero before
	statusOff bool      // the server refused the status action: do not ask again
	// progressOff: the server refused the progress action (as it is reported
	// to for container images) while the status action answers: the status
	// alone decides.
	progressOff bool
	status      string // latest status word; "" before the first
	looked      bool   // a status lookup answered in this turn of the loop
	reported    string // latest unknown status word reported
}

func (w waiter) wait(ctx context.Context, req Request) (compshare.Progress, error) {
	budgeted := req.Schedule == nil
	req, err := req.normalized()
	if err != nil {
		return compshare.Progress{}, err
	}
	start := w.clock.Now()
	s := &state{req: req, start: start, backoff: firstBackoff, pollAt: start, reached: req.Answered, budgeted: budgeted}
	s.lookupAt = start.Add(s.lookupGap(start))
	for {
		now := w.clock.Now()
		if err := s.interrupted(ctx, now); err != nil {
			if timeout := (*TimeoutError)(nil); errors.As(err, &timeout) {
				return w.timedOut(ctx, s, timeout)
			}
			return compshare.Progress{}, err
		}
		answered, err := false, error(nil)
		s.looked = false
		pollDue := !s.statusDecides() && !s.progressOff && !now.Before(s.pollAt)
		switch {
		case pollDue && s.lookupInstead(now):
			// The call budget allows one call now, and the lookup tells
			// as much as the poll would: the lookup takes the poll's
			// slot (the schedule then plans the poll anew).
			s.tookSlot = true
			err = w.lookUp(ctx, s)
		case pollDue && s.expectsUsable(now) && !s.short(now, 2):
			// Looking the status up first ends a finished build's wait
			// with one call instead of a poll that reads 100 and then the
			// lookup. (A lookup for failure follows the poll, so that a
			// failure says where the build stopped.)
			err = w.lookUp(ctx, s)
			fallthrough
		case pollDue:
			if err == nil && !s.done() {
				answered, err = w.poll(ctx, s)
			}
		}
		if err == nil && !s.done() && s.lookupDue(w.clock.Now()) {
			err = w.lookUp(ctx, s)
		}
		var next time.Duration
		var why string
		if err == nil && !s.done() {
			at, reason := s.wake()
			next, why = max(0, at.Sub(w.clock.Now())), reason
		}
		if answered && req.OnPoll != nil {
			req.OnPoll(*s.last, next, why)
		}
		if s.looked && req.OnLookup != nil {
			req.OnLookup(s.status, next, why)
		}
		switch {
		case err != nil:
			return compshare.Progress{}, err
		case s.done():
			return s.result(), nil
		}
		w.clock.Sleep(ctx, next)
	}
}

// poll reads the progress; answered says whether an answer arrived. The
// error ends the wait.
func (w waiter) poll(ctx context.Context, s *state) (answered bool, err error) {
	req := s.req
	s.calls++
	p, err := w.r.ImageProgress(ctx, req.Region, req.Zone, req.ImageID)
	now := w.clock.Now()
	s.reached = s.reached || !compshare.IsUnreachable(err)
	if err != nil {
		if s.interrupted(ctx, now) != nil {
			// The client reports an ended ctx as its own error; the loop
			// reports the timeout or the cancellation instead.
			return false, nil //nolint:nilerr // the loop turns the ended ctx into the wait's error
		}
		if !mayPass(err) && !s.mayBeNew(err, now) {
			// A failed build may be why the progress action refuses.
			if ferr := w.lookUp(ctx, s); ferr != nil {
				return false, ferr
			}
			if s.req.Target < 100 || s.statusOff || s.status == "" || compshare.IsNotFound(err) || compshare.IsCredentialsRefused(err) {
				return false, err
			}
			// The status answers: it alone tells when the image is usable.
			s.progressOff, s.lastErr = true, err
			if req.OnTransientError != nil {
				req.OnTransientError(err, s.lookupAt.Sub(w.clock.Now()))
			}
			return false, nil
		}
		if !s.reached && now.Sub(s.start) >= unreachableLimit {
			return false, err
		}
		delay := s.pause(ctx, now, compshare.RetryAfter(err))
		s.lastErr, s.pollAt, s.retryAt = err, now.Add(delay), now.Add(delay)
		if req.OnTransientError != nil {
			req.OnTransientError(err, delay)
		}
		return false, nil
	}
	if !validPercent(p.Percent) {
		// The client refuses such answers; other Readers may not.
		return false, fmt.Errorf("image %s: the API answered progress %v %%, outside 0..100 (request id %s)", req.ImageID, p.Percent, p.RequestID)
	}
	s.observe(p, now)
	return true, nil
}

// timedOut ends a wait whose deadline passed. Short of the target, it reads
// the progress once more, so that the error tells where the build is now;
// if the build reached the target meanwhile (and needs no status), the wait
// ends well after all.
func (w waiter) timedOut(ctx context.Context, s *state, timeout *TimeoutError) (compshare.Progress, error) {
	if s.atTarget() {
		return compshare.Progress{}, timeout
	}
	req := s.req
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), w.clock.Now().Add(w.finalReadTimeout))
	defer cancel()
	p, err := w.r.ImageProgress(ctx, req.Region, req.Zone, req.ImageID)
	if err != nil || !validPercent(p.Percent) {
		return compshare.Progress{}, timeout
	}
	s.last, timeout.Last = &p, &p
	if req.OnPoll != nil {
		req.OnPoll(p, 0, "")
	}
	if s.done() {
		return p, nil
	}
	return compshare.Progress{}, timeout
}

func validPercent(p float64) bool { return p >= 0 && p <= 100 }

// observe takes in a progress answer.
func (s *state) observe(p compshare.Progress, now time.Time) {
	moved := s.last != nil && p.Percent > s.last.Percent
	switch {
	case moved:
		// A failed build's progress stands still: this one had not failed
		// when the previous answer arrived, so the next lookup can wait
		// from then.
		s.lookupAt = schedule.Later(s.lookupAt, s.lastAt.Add(s.lookupGap(s.lastAt)))
	case s.moving && p.Percent >= stayPercent:
		// It stopped where builds stay before their end (or fail): look
		// at once (once per stop), which may see it usable. A stop
		// earlier is left to the failure bound (lookupGap): looking at
		// once spent the calls that the end needs on builds that move in
		// chunks.
		s.lookupAt = now
	}
	s.moving = moved
	s.prev, s.prevAt = s.last, s.lastAt
	s.last, s.lastAt, s.backoff, s.tookSlot = &p, now, firstBackoff, false
	if s.statusDecides() {
		// Done, or as soon as the image is listed as Available (after the
		// shortest pause if it was just looked up, as expectsUsable does).
		s.lookupAt = schedule.Later(now, s.lookedAt.Add(schedule.MinInterval))
		s.endAt = time.Time{}
		if a, ok := s.req.Schedule.(*schedule.Adaptive); ok && s.budgeted && !s.atTarget() {
			// At 99.99 % the rest of the way is below the progress's
			// resolution: the schedule, not told of this answer, keeps
			// the end it predicted from the latest move. A fast-start
			// build's last 5 % of the time reads 99.99 %: dense lookups
			// from that end on, not from now, keep the calls for it.
			s.endAt, _ = a.EarliestEnd()
		}
		return
	}
	o := Observe(p, now)
	o.Calls = s.calls
	d, why := s.req.Schedule.Next(o)
	s.pollAt, s.pollWhy = now.Add(s.clamp(d)), why
}

// lookUp looks the image's status up, which is the only way to learn that a
// build failed or that a finished image is usable; the error is a
// *FailedError. Lookup errors are dropped: the action may be unsupported or
// refuse the image (then it is not asked again, and the progress alone
// decides), and the progress polls go on without it. Not-found is not a
// refusal: a new image may not be listed yet.
func (w waiter) lookUp(ctx context.Context, s *state) error {
	if s.statusOff {
		return nil
	}
	req := s.req
	ctx, cancel := context.WithTimeout(ctx, w.statusTimeout)
	defer cancel()
	s.calls++
	st, err := w.r.ImageStatus(ctx, req.Region, req.Zone, req.ImageID)
	now := w.clock.Now()
	s.reached = s.reached || !compshare.IsUnreachable(err) && ctx.Err() == nil
	s.lookedAt, s.lookupAt = now, now.Add(s.lookupEvery(now))
	if s.budgeted && s.last != nil && !s.statusDecides() && !s.progressOff {
		// The lookup, answered or not, counts in the schedule's call
		// budget: let it move the next poll (see
		// schedule.Observation.Lookup), never sooner than a backoff or a
		// Retry-After of the progress action asked for.
		o := Observe(*s.last, now)
		o.Calls, o.Lookup = s.calls, true
		d, why := s.req.Schedule.Next(o)
		if at := now.Add(s.clamp(d)); !at.Before(s.retryAt) {
			s.pollAt, s.pollWhy = at, why
		}
	}
	if err != nil {
		s.statusOff = !mayPass(err) && !compshare.IsNotFound(err) && ctx.Err() == nil
		s.lookupAt = schedule.Later(s.lookupAt, now.Add(min(compshare.RetryAfter(err), req.MaxInterval)))
		return nil
	}
	s.status, s.looked = st.Status, true
	switch Judge(st.Status) {
	case Failed:
		return &FailedError{ImageID: req.ImageID, Status: st.Status, Reason: st.FailedReason, RequestID: st.RequestID, Progress: s.percent()}
	case Unknown:
		if st.Status != s.reported && req.OnUnknownStatus != nil {
			req.OnUnknownStatus(st.Status)
		}
		s.reported = st.Status
	}
	return nil
}

// lookupEvery is the pause after a status lookup. While only the status can
// tell more (statusDecides): at 99.99 %, up to the predicted earliest end
// (endAt) no more than schedule.BudgetInterval apart, then confirmEvery; at
// 100 %, BudgetInterval/2; both as long as the call budget allows, else the
// budget's pace (up to the max interval). Else lookupGap.
func (s *state) lookupEvery(now time.Time) time.Duration {
	if s.progressOff {
		// The status is the only figure: looked up at the budget's pace.
		return min(schedule.BudgetInterval, s.req.MaxInterval)
	}
	if !s.statusDecides() {
		return s.lookupGap(now)
	}
	slot := s.budget().At(s.calls + 1).Sub(now)
	if s.endAt.After(now.Add(confirmEvery)) {
		// Up to the predicted end no faster than fixed polling, so
		// that the calls saved are there after it: a build that ends
		// sooner than predicted is seen as fixed polling would see it.
		return min(max(s.endAt.Sub(now), slot), schedule.BudgetInterval, s.req.MaxInterval)
	}
	every := confirmEvery
	if s.atTarget() {
		every = schedule.BudgetInterval / 2
	}
	return min(max(every, slot), schedule.BudgetInterval, s.req.MaxInterval)
}

// budget is the wait's call budget: progress polls and status lookups alike.
func (s *state) budget() schedule.Budget { return schedule.Budget{Start: s.start} }

// lookupGap is how long after a moment when the build was known not to have
// failed the status must be looked up again: max(noticeWithin, 1/noticeShare
// of the time the wait had run), capped by the max interval. A failure after
// that moment is then noticed within the same bound of it, since the bound
// only grows with time. Progress that moves proves the build alive too (see
// observe), so polls that are frequent enough spare lookups.
func (s *state) lookupGap(at time.Time) time.Duration {
	return min(max(noticeWithin, at.Sub(s.start)/noticeShare), s.req.MaxInterval)
}

// mayBeNew reports whether err may say only that the image was created a
// moment ago.
func (s *state) mayBeNew(err error, now time.Time) bool {
	return compshare.IsNotFound(err) && s.last == nil && (s.req.MayBeNew || now.Sub(s.start) < NewImageWindow)
}

// pause returns the wait before the next try after a transient error: the
// backoff, which doubles, or longer when the server asked for it
// (retryAfter), but no longer than the max interval and not past ctx's
// deadline.
func (s *state) pause(ctx context.Context, now time.Time, retryAfter time.Duration) time.Duration {
	d := min(max(s.backoff, retryAfter), s.req.MaxInterval)
	if deadline, ok := ctx.Deadline(); ok {
		d = max(0, min(d, deadline.Sub(now)))
	}
	s.backoff = min(2*s.backoff, s.req.MaxInterval)
	return d
}

// atTarget reports whether the latest answer reached the target.
func (s *state) atTarget() bool { return s.last != nil && s.last.Percent >= s.req.Target }

// statusDecides reports whether only the status can tell more: the target
// is reached, or, at a target of 100, the progress reads 99.99 % (the API's
// last value before 100: a progress poll could only tell the end, which the
// status tells as well) and the status action answers. The wait then looks
// the status up instead of reading the progress.
func (s *state) statusDecides() bool {
	return s.atTarget() || s.req.Target >= 100 && !s.statusOff && s.last != nil && s.last.Percent >= 99.99
}

// done reports whether the wait is over with success: below 100 %, the target
// is reached; at 100 %, the image is listed as Available (usable, whatever the
// progress reads), or the target is reached and the status action was refused.
func (s *state) done() bool {
	if s.req.Target < 100 {
		return s.atTarget()
	}
	return Judge(s.status) == Usable || s.atTarget() && s.statusOff
}

// result is the answer a successful wait returns: the latest progress, or
// 100 % with nothing left (and the latest answer's total, if any) when the
// image was listed as Available before the progress said so, or without it.
func (s *state) result() compshare.Progress {
	if s.atTarget() {
		return *s.last
	}
	p := compshare.Progress{Percent: 100, RemainingSeconds: new(float64)}
	if s.last != nil {
		p.RequestID, p.TotalSeconds = s.last.RequestID, s.last.TotalSeconds
	}
	return p
}

// expectsUsable reports whether a progress poll due now had better be
// preceded by a status lookup: at a target of 100, the API's Remaining says
// the build is over, while it counts down like a clock over the latest two
// answers (schedule.ClockEnd, within its rounding). An estimate that does
// not (an extrapolation of progress, a clock that ran out) is not enough: on
// a build that slows down it says "over" again and again, and each lookup
// it sends first is a call the end then lacks. A wait on another schedule
// than the default looks up first only if the call budget allows both calls
// by now.
func (s *state) expectsUsable(now time.Time) bool {
	if s.req.Target < 100 || s.statusOff || s.prev == nil || !s.budgeted && s.budget().At(s.calls+2).After(now) {
		return false
	}
	end, ok := schedule.ClockEnd(Observe(*s.prev, s.prevAt), Observe(*s.last, s.lastAt), 100)
	return ok && !now.Before(end.Add(-schedule.Rounding))
}

// lookupInstead reports whether a status lookup takes the slot of the
// progress poll due now, when the call budget does not allow both. While
// progress moves, once per answer, when the build is expected over (see
// expectsUsable), so that the schedule still learns the pace. While it
// stands still, a lookup sees the end as well as a poll would (at a target
// of 100) and also shows that the build has not failed: it takes the slot
// when the build is expected over or a lookup for failure is due before the
// budget's slot after the next (coming between, it would take a slot of its
// own and push back the next poll, such as the one planned for a true API
// clock's end), as long as the latest progress is no older than the failure
// bound (lookupGap): a poll then sees whether it moves again.
func (s *state) lookupInstead(now time.Time) bool {
	if !s.short(now, 2) || s.req.Target < 100 || s.statusOff || s.last == nil {
		return false
	}
	expected := s.expectsUsable(now)
	if s.moving {
		return expected && !s.tookSlot
	}
	fresh := now.Before(s.lastAt.Add(s.lookupGap(s.lastAt)))
	if expected {
		return fresh || !s.tookSlot
	}
	return fresh && s.lookupAt.Before(now.Add(2*schedule.BudgetInterval))
}

func (s *state) lookupDue(now time.Time) bool { return !s.statusOff && !now.Before(s.lookupAt) }

// short reports whether the call budget, if the wait keeps one, does not
// allow n more calls by now.
func (s *state) short(now time.Time, n int) bool {
	return s.budgeted && s.budget().At(s.calls+n).After(now)
}

// wake returns when the next call is due and why: at the target only
// status lookups are; the wait is over before both are off.
func (s *state) wake() (time.Time, string) {
	switch {
	case s.statusDecides():
		return s.lookupAt, "status lookup: listed as Available yet?"
	case s.progressOff:
		return s.lookupAt, "status lookup: the progress action refuses the image"
	case !s.statusOff && s.lookupAt.Before(s.pollAt):
		return s.lookupAt, "status lookup: has the build failed?"
	}
	return s.pollAt, s.pollWhy
}

// clamp bounds a delay chosen by a schedule, which may be any schedule.
func (s *state) clamp(d time.Duration) time.Duration {
	return min(max(d, schedule.MinInterval), s.req.MaxInterval)
}

// percent is the latest answer's progress, 0 before the first.
func (s *state) percent() float64 {
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
		return &TimeoutError{ImageID: s.req.ImageID, Target: s.req.Target, Last: s.last, Status: s.status, Elapsed: now.Sub(s.start), LastErr: s.lastErr}
	case ctx.Err() != nil:
		where := "before any answer"
		if s.last != nil {
			where = "at " + FormatPercent(s.last.Percent) + " %"
		}
		return &InterruptedError{ImageID: s.req.ImageID, Where: where, Elapsed: now.Sub(s.start), cause: ctx.Err()}
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
