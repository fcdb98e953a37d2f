package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
)

// fakeImages is an API on a fake clock: a build request is refused while
// busyUntil has not passed; it starts a build whose answer may be lost; the
// new image is listed by name only listedAfter after it started; a deleted
// image stays listed for linger.
type fakeImages struct {
	clock         *fakeClock
	busyUntil     time.Time
	createErr     error         // returned by CreateImage after starting the build (a lost answer), or instead of it (a refusal)
	starts        bool          // whether CreateImage starts a build despite createErr
	listedAfter   time.Duration // a new image is listed by name this long after its start
	deleteErr     error
	linger        time.Duration // a deleted image stays listed this long
	holder        string        // the id of an image that already has the name, if any
	holderCreated time.Time     // its CreateTime; zero when the API sends none

	creates, lookups, deletes int
	started, deleted          time.Time
}

const testImage = "compshareImage-new"

func (f *fakeImages) CreateImage(context.Context, string, string, compshare.NewImage) (string, error) {
	f.creates++
	if f.clock.Now().Before(f.busyUntil) {
		return "", errBusy
	}
	if f.createErr == nil || f.starts {
		f.started = f.clock.Now()
	}
	if f.createErr != nil {
		return "", f.createErr
	}
	return testImage, nil
}

func (f *fakeImages) ImageNamed(_ context.Context, _, _, name string) (compshare.Image, error) {
	f.lookups++
	if f.holder != "" {
		return compshare.Image{ID: f.holder, Name: name, Status: compshare.StatusAvailable, CreatedAt: f.holderCreated}, nil
	}
	if f.started.IsZero() || f.clock.Now().Before(f.started.Add(f.listedAfter)) {
		return compshare.Image{}, errNotFound
	}
	return compshare.Image{ID: testImage, Name: name}, nil
}

func (f *fakeImages) DeleteImage(context.Context, string, string, string) error {
	f.deletes++
	if f.deleteErr != nil {
		return f.deleteErr
	}
	if f.deleted.IsZero() {
		f.deleted = f.clock.Now()
	}
	return nil
}

func (f *fakeImages) Image(context.Context, string, string, string) (compshare.Image, error) {
	f.lookups++
	if !f.deleted.IsZero() && !f.clock.Now().Before(f.deleted.Add(f.linger)) {
		return compshare.Image{}, errNotFound
	}
	return compshare.Image{ID: testImage}, nil
}

var errLost = &compshare.Error{Action: compshare.ActionCreateImage, Status: http.StatusBadGateway, RetCode: 502, Transient: true, Message: "Bad Gateway"}

func newImages(f *fakeImages, logged *[]string) Images {
	return Images{API: f, Clock: f.clock, Log: func(_ context.Context, msg string, fields map[string]any) {
		*logged = append(*logged, fmt.Sprintf("%s (%v, %v)", msg, fields["reason"], fields["next_try_in"]))
	}}
}

// Issue 21 item 2: a build refused while another of the instance is being
// made is started once that one ends, saying so in the log.
func TestCreateWaitsForABusyInstance(t *testing.T) {
	clock := newFakeClock()
	ctx := clock.withDeadline(t, time.Hour)
	f := &fakeImages{clock: clock, busyUntil: clock.Now().Add(20 * time.Second)}
	var logged []string
	build, err := newImages(f, &logged).Create(ctx, "cn-wlcb", "cn-wlcb-01", compshare.NewImage{UHostID: "uhost-1", Name: "env"})
	// Pauses 2, 4, 8, 15: tries at 0, 2, 6, 14, 29 s.
	if err != nil || build.ID != testImage || build.Lost != nil || f.creates != 5 || f.lookups != 0 {
		t.Fatalf("build %+v, err %v, %d creates, %d lookups", build, err, f.creates, f.lookups)
	}
	if len(logged) != 4 || !strings.Contains(logged[0], "another image being built") || !strings.Contains(logged[3], "15s") {
		t.Errorf("log %q", logged)
	}
}

// Issue 21 item 1: the answer is lost (HTTP 502) and the new image is
// listed only 20 s later: it is found by its name and recorded.
func TestCreateFindsTheBuildAfterALostAnswer(t *testing.T) {
	clock := newFakeClock()
	ctx := clock.withDeadline(t, time.Hour)
	f := &fakeImages{clock: clock, createErr: errLost, starts: true, listedAfter: 20 * time.Second}
	var logged []string
	build, err := newImages(f, &logged).Create(ctx, "cn-wlcb", "cn-wlcb-01", compshare.NewImage{UHostID: "uhost-1", Name: "env"})
	if err != nil || build.ID != testImage || !errors.Is(build.Lost, errLost) || f.creates != 1 {
		t.Fatalf("build %+v, err %v, %d creates", build, err, f.creates)
	}
	if waited := clock.Now().Sub(f.started); waited < 20*time.Second || waited > 25*time.Second {
		t.Errorf("found %v after the loss; the pauses are at most 5 s", waited)
	}
	if len(logged) == 0 || !strings.Contains(logged[0], "looking for the build by its name") {
		t.Errorf("log %q", logged)
	}
}

// The search by name lasts until ctx's deadline; when it finds nothing the
// error names the image that may have been built.
func TestCreateLostAnswerNothingListed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		deadline   time.Duration // of ctx, from the loss
		atLeast    time.Duration // the search's length
		createErrs error
	}{
		{name: "until the deadline", deadline: 3 * time.Minute, atLeast: 3*time.Minute - 5*time.Second, createErrs: errLost},
		// The request itself ran into the deadline: the window is searched anyway.
		{name: "past the deadline", deadline: 0, atLeast: imagewait.NewImageWindow,
			createErrs: &compshare.Error{Action: compshare.ActionCreateImage, Err: context.DeadlineExceeded, Message: "context deadline exceeded"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			var ctx context.Context
			if tc.deadline > 0 {
				ctx = clock.withDeadline(t, tc.deadline)
			} else {
				// Past on both clocks: the fake one is ahead of the wall's.
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
				defer cancel()
			}
			f := &fakeImages{clock: clock, createErr: tc.createErrs, starts: false}
			start := clock.Now()
			var logged []string
			_, err := newImages(f, &logged).Create(ctx, "cn-wlcb", "cn-wlcb-01", compshare.NewImage{UHostID: "uhost-1", Name: "env"})
			var lost *LostBuildError
			if !errors.As(err, &lost) || lost.Name != "env" || !errors.Is(err, tc.createErrs) ||
				!strings.Contains(err.Error(), `no image named "env" was listed in region cn-wlcb, zone cn-wlcb-01`) {
				t.Fatalf("err %v", err)
			}
			// The helpers end without the pause that would pass the end:
			// the clock stops at the last lookup.
			if searched := clock.Now().Sub(start); searched < tc.atLeast || f.creates != 1 {
				t.Errorf("last lookup %v after the loss, want at least %v; %d creates", searched, tc.atLeast, f.creates)
			}
		})
	}
}

// Ctrl-C while the answer to the build request is on its way: the search
// for the build outlasts the interruption, and the build is not requested
// again.
func TestCreateLostAnswerInterrupted(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(clock.withDeadline(t, 10*time.Second))
	cancel()
	interrupted := &compshare.Error{Action: compshare.ActionCreateImage, Err: context.Canceled, Message: "context canceled"}
	f := &fakeImages{clock: clock, createErr: interrupted, starts: true, listedAfter: 25 * time.Second}
	var logged []string
	build, err := newImages(f, &logged).Create(ctx, "cn-wlcb", "cn-wlcb-01", compshare.NewImage{UHostID: "uhost-1", Name: "env"})
	if err != nil || build.ID != testImage || !errors.Is(build.Lost, context.Canceled) || f.creates != 1 {
		t.Fatalf("build %+v, err %v, %d creates", build, err, f.creates)
	}
}

// outlast's context survives ctx's cancellation until its floor, and then
// ends; its cancel function ends it at once.
func TestOutlast(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	out, stop := outlast(ctx, time.Now(), time.Hour)
	cancel()
	if out.Err() != nil {
		t.Fatalf("ended with ctx: %v", out.Err())
	}
	stop()
	if out.Err() == nil {
		t.Fatal("not ended by its cancel function")
	}

	ctx, cancel = context.WithCancel(t.Context())
	out, stop = outlast(ctx, time.Now(), time.Millisecond)
	defer stop()
	cancel()
	select {
	case <-out.Done():
	case <-time.After(time.Minute): // a bound for a hang, not a speed figure
		t.Fatal("not ended once its floor passed after ctx's cancellation")
	}
}

// The answer is lost and the image found by the name is one created long
// before: it had the name already, so the API refused this build. It is
// named, never recorded as this build (whose deletion would delete it).
func TestCreateLostAnswerOlderImageHasTheName(t *testing.T) {
	clock := newFakeClock()
	f := &fakeImages{clock: clock, createErr: errLost, holder: "compshareImage-other", holderCreated: clock.Now().Add(-24 * time.Hour)}
	var logged []string
	build, err := newImages(f, &logged).Create(clock.withDeadline(t, time.Hour), "cn-wlcb", "cn-wlcb-01", compshare.NewImage{UHostID: "uhost-1", Name: "env"})
	var taken *NameTakenError
	if !errors.As(err, &taken) || taken.Holder.ID != "compshareImage-other" || !errors.Is(err, errLost) || build.ID != "" || f.creates != 1 ||
		!strings.Contains(err.Error(), "image compshareImage-other, created ") {
		t.Fatalf("build %+v, err %v, %d creates", build, err, f.creates)
	}

	// Created moments before the loss (the request's own time): this build.
	f = &fakeImages{clock: clock, createErr: errLost, holder: "compshareImage-new", holderCreated: clock.Now().Add(-time.Minute)}
	if build, err := newImages(f, &logged).Create(clock.withDeadline(t, time.Hour), "cn-wlcb", "cn-wlcb-01", compshare.NewImage{UHostID: "uhost-1", Name: "env"}); err != nil || build.ID != "compshareImage-new" {
		t.Fatalf("build %+v, err %v", build, err)
	}
}

// A refusal with a RetCode is an answer: nothing is searched.
func TestCreateRefusedIsNotLost(t *testing.T) {
	clock := newFakeClock()
	f := &fakeImages{clock: clock, createErr: &compshare.Error{Action: compshare.ActionCreateImage, RetCode: 8433, Transient: true}}
	var logged []string
	if _, err := newImages(f, &logged).Create(clock.withDeadline(t, time.Hour), "r", "z", compshare.NewImage{UHostID: "uhost-1", Name: "env"}); err == nil || f.lookups != 0 || f.creates != 1 {
		t.Fatalf("err %v, %d lookups, %d creates", err, f.lookups, f.creates)
	}
}

// A build refused because another image has the name names that image,
// which the API's refusal may not.
func TestCreateNameTaken(t *testing.T) {
	clock := newFakeClock()
	refusal := &compshare.Error{Action: compshare.ActionCreateImage, RetCode: compshare.RetCodeNotAvailable, Param: "Name", Message: "Params [Name] not available"}
	f := &fakeImages{clock: clock, createErr: refusal, holder: "compshareImage-other"}
	var logged []string
	_, err := newImages(f, &logged).Create(clock.withDeadline(t, time.Hour), "r", "z", compshare.NewImage{UHostID: "uhost-1", Name: "env"})
	var taken *NameTakenError
	if !errors.As(err, &taken) || taken.Holder.ID != "compshareImage-other" || !errors.Is(err, refusal) || f.creates != 1 {
		t.Fatalf("err %v, %d creates", err, f.creates)
	}
}

func TestDelete(t *testing.T) {
	published := &compshare.Error{Action: compshare.ActionDeleteImage, RetCode: 8803, Transient: true, Published: true}
	for _, tc := range []struct {
		name        string
		f           fakeImages
		neverListed bool
		deadline    time.Duration
		wantErr     func(error) bool
	}{
		{name: "gone after a while", f: fakeImages{linger: 5 * time.Second}, deadline: time.Minute, wantErr: isNil},
		{name: "already gone", f: fakeImages{deleteErr: errNotFound}, deadline: time.Minute, wantErr: isNil},
		{name: "published", f: fakeImages{deleteErr: published}, deadline: time.Minute, wantErr: compshare.IsPublished},
		{name: "still listed", f: fakeImages{linger: time.Hour}, deadline: time.Minute, wantErr: func(err error) bool {
			return errors.As(err, new(*TimeoutError)) && !compshare.IsNotFound(err)
		}},
		// Never listed and unknown for the whole window: gone.
		{name: "never listed, never known", f: fakeImages{deleteErr: errNotFound}, neverListed: true, deadline: time.Minute, wantErr: isNil},
		{name: "never listed, timed out while unknown", f: fakeImages{deleteErr: errNotFound}, neverListed: true, deadline: 10 * time.Second, wantErr: func(err error) bool {
			return errors.As(err, new(*TimeoutError)) && compshare.IsNotFound(err)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := tc.f
			f.clock = clock
			var logged []string
			err := newImages(&f, &logged).Delete(clock.withDeadline(t, tc.deadline), "r", "z", testImage, tc.neverListed)
			if !tc.wantErr(err) {
				t.Fatalf("err %v; %d deletes", err, f.deletes)
			}
		})
	}
}
