package imagewait

import (
	"errors"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

func TestJudge(t *testing.T) {
	for word, want := range map[string]Verdict{
		"Available":   Usable,
		"available":   Usable,
		"AVAILABLE":   Usable,
		"UnAvailable": Failed,
		"unavailable": Failed, // not to be read as Available
		"Unavailable": Failed,
		"Offline":     Failed,
		"OFFLINE":     Failed,
		"Making":      Pending,
		"making":      Pending,
		"Reviewing":   Pending,
		"":            Unknown,
		"Deleting":    Unknown,
		" Available":  Unknown, // only case is forgiven
	} {
		if got := Judge(word); got != want {
			t.Errorf("Judge(%q) = %v, want %v", word, got, want)
		}
	}
}

func TestFailedErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  FailedError
		want string
	}{
		{FailedError{ImageID: "i", Status: "UnAvailable", Reason: "disk full", RequestID: "r", Progress: 30},
			"the build of image i failed at 30 %: disk full (request id r)"},
		{FailedError{ImageID: "i", Status: "unavailable", Progress: 30},
			"the build of image i failed at 30 %: the API gives no reason"},
		{FailedError{ImageID: "i", Status: "Offline", Reason: "taken down", Progress: 100},
			"image i is Offline at 100 %: taken down"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// At 100 %, done means listed as Available, whatever the case of the word.
func TestDoneMeansAvailable(t *testing.T) {
	b := newBuild(2 * time.Minute)
	b.statusLag = 40 * time.Second
	var at100 []time.Duration
	p, err := b.run(t, Request{OnPoll: func(p compshare.Progress, next time.Duration, _ string) {
		if p.Percent == 100 {
			at100 = append(at100, next)
		}
	}}, time.Hour)
	if err != nil || p.Percent != 100 {
		t.Fatalf("p=%+v err=%v", p, err)
	}
	usableAt := b.work + b.statusLag
	if lag := b.elapsed() - usableAt; lag < 0 || lag > 10*time.Second {
		t.Fatalf("ended %v after the image was usable", lag)
	}
	// One progress answer at 100 %, then status lookups only; it told that
	// more was to come.
	if len(at100) != 1 || at100[0] <= 0 || b.answers[len(b.answers)-2] == 100 {
		t.Fatalf("OnPoll at 100 %%: %v; answers %v", at100, b.answers)
	}
}

// Below 100 %, the progress alone decides.
func TestTargetBelow100NeedsNoStatus(t *testing.T) {
	b := newBuild(10 * time.Minute)
	b.statusLag = time.Hour
	p, err := b.run(t, Request{Target: 50}, time.Hour)
	if err != nil || p.Percent < 50 || b.elapsed() > 6*time.Minute {
		t.Fatalf("p=%+v err=%v after %v", p, err, b.elapsed())
	}
}

func TestFailureStatuses(t *testing.T) {
	for _, tc := range []struct{ status, reason, want string }{
		{"UnAvailable", "disk full", "the build of image compshareImage-x failed at 42.12 %: disk full (request id status-req)"},
		{"unavailable", "", "the build of image compshareImage-x failed at 42.12 %: the API gives no reason (request id status-req)"},
		{"Offline", "", "image compshareImage-x is Offline at 42.12 %: the API gives no reason (request id status-req)"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			b := newBuild(2 * time.Minute)
			b.stallAt, b.stallFor, b.failed = time.Minute, time.Hour, true
			b.failStatus, b.failReason = tc.status, tc.reason
			_, err := b.run(t, Request{}, time.Hour)
			var failed *FailedError
			if !errors.As(err, &failed) {
				t.Fatalf("error %v, want *FailedError", err)
			}
			if got := failed.Error(); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestUnknownStatusKeepsWaiting(t *testing.T) {
	b := newBuild(5 * time.Minute)
	b.unknownStatus = "Deleting"
	var reported []string
	p, err := b.run(t, Request{OnUnknownStatus: func(s string) { reported = append(reported, s) }}, time.Hour)
	if err != nil || p.Percent != 100 {
		t.Fatalf("p=%+v err=%v", p, err)
	}
	// Reported once, though read several times.
	if len(reported) != 1 || reported[0] != "Deleting" || len(b.statusAt) < 3 {
		t.Fatalf("reported %q; lookups at %v", reported, b.statusAt)
	}
}

// An image listed as Available is usable, whatever the progress reads.
func TestAvailableEndsTheWaitBeforeTheProgressSaysSo(t *testing.T) {
	b := newBuild(10 * time.Minute)
	b.availableAt = time.Minute // at 10 %
	p, err := b.run(t, Request{}, time.Hour)
	if err != nil || p.Percent != 100 {
		t.Fatalf("got %v, %v; want 100 %% once Available", p, err)
	}
	if at := b.elapsed(); at > time.Minute+noticeWithin {
		t.Errorf("the wait ended %v into the build; it was Available after 1m", at)
	}
}

// A progress action that refuses the image (as it is reported to for
// container images) leaves the status to decide.
func TestProgressRefusedStatusDecides(t *testing.T) {
	b := newBuild(2 * time.Minute)
	b.errs = []error{&compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, RetCode: 297, Message: "container images have no progress"}}
	var transient int
	p, err := b.run(t, Request{OnTransientError: func(error, time.Duration) { transient++ }}, time.Hour)
	if err != nil || p.Percent != 100 {
		t.Fatalf("got %v, %v; want 100 %% once Available", p, err)
	}
	if b.progressCalls != 1 || transient != 1 {
		t.Errorf("%d progress calls, %d reported errors; want the progress action asked once, its refusal reported once", b.progressCalls, transient)
	}
	if lag := b.elapsed() - 2*time.Minute; lag < 0 || lag > 5*time.Second {
		t.Errorf("the wait ended %v after the image became Available", lag)
	}

	// Below 100 % the progress is the figure: its refusal ends the wait.
	b = newBuild(2 * time.Minute)
	b.errs = []error{&compshare.Error{Action: compshare.ActionImageProgress, ImageID: imageID, RetCode: 297, Message: "refused"}}
	if _, err := b.run(t, Request{Target: 50}, time.Hour); err == nil {
		t.Error("a refused progress action did not end a wait for 50 %")
	}
}
