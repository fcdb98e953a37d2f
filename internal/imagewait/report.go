package imagewait

import (
	"fmt"
	"sync"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// TimeLeft says how long a build has left until target percent, judged from
// answer p read age ago (0: just now). It is the one wording of the time left
// that the plan's warning, the action's messages and TimeoutError share:
//
//	about 38m20s left by the API's estimate
//	about 5m0s left until 50 % by the API's estimate
//	the API's estimate of the time left has run out
//	the API gives no estimate of the time left
//
// The figure is the API's RemainingDuration at the moment of the answer (the
// part of it up to target, taken as even), counted down by age: it says no
// more than the API did. At or past target, a wait goes on only until the
// image is listed as Available, so that is what it says then.
func TimeLeft(p compshare.Progress, target float64, age time.Duration) string {
	if p.Percent >= target {
		return "not yet listed as " + compshare.StatusAvailable
	}
	remaining := apiDuration(p.RemainingSeconds)
	switch left := time.Duration(float64(remaining)*(target-p.Percent)/(100-p.Percent)) - age; {
	case remaining < 0:
		return "the API gives no estimate of the time left"
	case left <= 0:
		return "the API's estimate of the time left has run out"
	case target < 100:
		return fmt.Sprintf("about %v left until %s %% by the API's estimate", left.Round(time.Second), FormatPercent(target))
	default:
		return fmt.Sprintf("about %v left by the API's estimate", left.Round(time.Second))
	}
}

// Reporter turns a wait's answers into messages for someone watching: one per
// answer, and one whenever nothing was said for its interval, which tells how
// long ago the latest figure was read and counts the API's estimate of the
// time left down since. Its methods may be called from
// any goroutine; send is never called by two at once.
type Reporter struct {
	imageID string
	target  float64
	every   time.Duration
	send    func(message string)
	now     func() time.Time

	mu      sync.Mutex
	start   time.Time
	last    *compshare.Progress // nil before the first answer
	lastAt  time.Time           // when last arrived
	sentAt  time.Time
	timer   *time.Timer // fires every after the latest message
	stopped bool
}

// NewReporter starts reporting a wait for imageID to reach target percent,
// with a message at least every interval.
func NewReporter(imageID string, target float64, every time.Duration, send func(message string)) *Reporter {
	r := &Reporter{imageID: imageID, target: target, every: every, send: send, now: time.Now}
	r.start, r.sentAt = r.now(), r.now()
	r.mu.Lock() // the timer may fire before it is stored
	defer r.mu.Unlock()
	r.timer = time.AfterFunc(every, r.remind)
	return r
}

// Poll reports an answer while the wait goes on; its signature is
// Request.OnPoll's. An answer that ends the wait (next 0) is left to Done or
// to the wait's error.
func (r *Reporter) Poll(p compshare.Progress, next time.Duration) {
	if next == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.lastAt = &p, r.now()
	r.sendLocked(r.message())
}

// remind says where the build stood at the latest answer, unless a message
// went out within the interval (a poll's, sent while this timer fired).
func (r *Reporter) remind() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if quiet := r.now().Sub(r.sentAt); quiet < r.every {
		if !r.stopped {
			r.timer.Reset(r.every - quiet)
		}
		return
	}
	r.sendLocked(r.message())
}

// Stop ends the messages: none is sent once it returned.
func (r *Reporter) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	r.timer.Stop()
}

// Done stops the reporter with a last message for a wait that ended with p.
func (r *Reporter) Done(p compshare.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sendLocked(fmt.Sprintf("%s: %s %% done, finished waiting after %v", r.imageID, FormatPercent(p.Percent), r.now().Sub(r.start).Round(time.Second)))
	r.stopped = true
	r.timer.Stop()
}

func (r *Reporter) sendLocked(message string) {
	if r.stopped {
		return
	}
	r.send(message)
	r.sentAt = r.now()
	r.timer.Reset(r.every)
}

// message says where the build stood at the latest answer and how long is left.
func (r *Reporter) message() string {
	now := r.now()
	if r.last == nil {
		return fmt.Sprintf("%s: waiting for the first answer (%v elapsed)", r.imageID, now.Sub(r.start).Round(time.Second))
	}
	// Between answers, the figure is as old as the latest answer, and says so.
	msg := fmt.Sprintf("%s: %s %% done", r.imageID, FormatPercent(r.last.Percent))
	age := now.Sub(r.lastAt)
	if age >= time.Second {
		msg += fmt.Sprintf(" when read %v ago", age.Round(time.Second))
	}
	return msg + ", " + TimeLeft(*r.last, r.target, age)
}
