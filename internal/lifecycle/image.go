package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
)

// ImageAPI is what a custom image's lifecycle needs of the API;
// *compshare.Client implements it.
type ImageAPI interface {
	CreateImage(ctx context.Context, region, zone string, spec compshare.NewImage) (string, error)
	ImageNamed(ctx context.Context, region, zone, name string) (compshare.Image, error)
	DeleteImage(ctx context.Context, region, zone, imageID string) error
	Image(ctx context.Context, region, zone, imageID string) (compshare.Image, error)
}

var _ ImageAPI = (*compshare.Client)(nil)

// The image lifecycle's pauses. Builds take minutes, so a refused build is
// tried again at most 15 s after the other's end; the rest follow the API's
// delays of seconds in showing a change (imagewait.NewImageWindow at most).
var (
	// busyPolling paces the retries of a build refused while the instance
	// has another being made.
	busyPolling = Polling{Interval: 2 * time.Second, MaxInterval: 15 * time.Second}
	// findPolling paces the search by name for a build whose answer was lost.
	findPolling = Polling{Interval: time.Second, MaxInterval: 5 * time.Second}
	// unknownPolling paces the retries of a deletion of an image the API
	// does not know yet.
	unknownPolling = Polling{Interval: time.Second, MaxInterval: 8 * time.Second}
	// gonePolling paces the lookups that wait for a deleted image to leave
	// the list.
	gonePolling = Polling{Interval: 2 * time.Second}
)

// Images is the custom image's lifecycle on the API: the build's start, with
// the recovery of a lost answer and the wait for a busy instance, and the
// deletion with the wait until the image is gone. The wait for a build is
// imagewait's.
type Images struct {
	API   ImageAPI
	Clock imagewait.Clock // nil: imagewait.RealClock
	// Log, if set, receives what the lifecycle does at debug level: each
	// pause, why and how long.
	Log func(ctx context.Context, msg string, fields map[string]any)
}

// polling is p on the lifecycle's clock, each pause logged with what.
func (l Images) polling(ctx context.Context, p Polling, what string, fields map[string]any) Polling {
	p.Clock = l.Clock
	p.OnRetry = func(r Retry) {
		if l.Log == nil {
			return
		}
		f := map[string]any{"reason": r.Reason, "next_try_in": r.Pause.String()}
		maps.Copy(f, fields)
		if r.Err != nil {
			f["error"] = r.Err.Error()
		}
		l.Log(ctx, what, f)
	}
	return p
}

// Build is a started build.
type Build struct {
	ID string
	// Lost is the error of the request whose answer was lost, when the
	// build was then found by its name; nil when the API answered.
	Lost error
}

// LostBuildError says that the answer to a build request was lost and that
// no image of its name was listed within the search: a build may still
// have started, unknown to the caller.
type LostBuildError struct {
	Name, Region, Zone string
	Searched           time.Duration
	Err                error // the lost answer's
}

func (e *LostBuildError) Error() string {
	return fmt.Sprintf("%v; no image named %q was listed in region %s, zone %s within %v after that: an image of that name may have been built",
		e.Err, e.Name, e.Region, e.Zone, e.Searched.Round(time.Second))
}

func (e *LostBuildError) Unwrap() error { return e.Err }

// Create starts a build (CreateCompShareCustomImage) and returns its id.
//
// While the API refuses it because the instance already has an image being
// made (compshare.IsBusy), it is tried again until ctx ends: then the
// *TimeoutError wraps the refusal. When its answer is lost
// (compshare.AnswerLost), the image is looked for by its name until ctx's
// deadline, and at least imagewait.NewImageWindow from the loss, even after
// ctx ends: a new image may be missing from the list for that long, and a
// paid build must not be left unknown. Found, it is the Build, with Lost set;
// not found, a *LostBuildError. An image of the name created well before the
// loss (more than olderThanLoss) is not this build but one that had the name
// already, for which the API refuses a build: a *NameTakenError naming it,
// never recorded as this build, whose deletion would delete it. A refusal
// because another image has the name is a *NameTakenError naming that image.
// Any other error is the API's refusal, as it is.
func (l Images) Create(ctx context.Context, region, zone string, spec compshare.NewImage) (Build, error) {
	fields := map[string]any{"name": spec.Name, "uhost_id": spec.UHostID}
	start := func(ctx context.Context) (string, error) { return l.API.CreateImage(ctx, region, zone, spec) }
	id, err := RetryWhileBusy(ctx, l.polling(ctx, busyPolling, "the instance has another image being built; waiting to start this build", fields), start)
	switch {
	case err == nil:
		return Build{ID: id}, nil
	case compshare.IsNameTaken(err):
		return Build{}, l.nameTaken(ctx, region, zone, spec.Name, err)
	case errors.As(err, new(*TimeoutError)), !compshare.AnswerLost(err):
		// Refused (as busy until ctx ended, or for good): nothing started.
		return Build{}, err
	}
	lost := err

	clock := Polling{Clock: l.Clock}.clock()
	from := clock.Now()
	// A pause that would end past the search's end is not taken, so the
	// search lasts one longest pause more than the window: its last lookup
	// comes no earlier than imagewait.NewImageWindow after the loss.
	search, cancel := outlast(ctx, from, imagewait.NewImageWindow+findPolling.MaxInterval)
	defer cancel()
	end, _ := search.Deadline()
	window := end.Sub(from)
	named := func(ctx context.Context) (compshare.Image, error) {
		img, err := l.API.ImageNamed(ctx, region, zone, spec.Name)
		if err == nil && !img.CreatedAt.IsZero() && img.CreatedAt.Before(from.Add(-olderThanLoss)) {
			return img, errNamedBefore
		}
		return img, err
	}
	img, err := RetryWhenNotFound(search, l.polling(ctx, findPolling, "the answer to the build request was lost; looking for the build by its name",
		map[string]any{"name": spec.Name, "lost": lost.Error()}), window, named)
	switch {
	case errors.Is(err, errNamedBefore):
		return Build{}, &NameTakenError{Holder: img, Err: lost}
	case err != nil:
		return Build{}, &LostBuildError{Name: spec.Name, Region: region, Zone: zone, Searched: clock.Now().Sub(from), Err: lost}
	}
	return Build{ID: img.ID, Lost: lost}, nil
}

// olderThanLoss bounds how long before the loss of its answer a build's image
// may have been created, on the server's clock: the request's own time (the
// client retries a build only when refused with HTTP 429) and the skew
// between the server's clock and ours. An image of the name created earlier
// had the name before the request.
const olderThanLoss = 10 * time.Minute

// errNamedBefore says that the image found by name is older than the build.
var errNamedBefore = errors.New("an image of the name was created before the build was requested")

// NameTakenError says that the API refused a build because another image
// has its name, and which image that is.
type NameTakenError struct {
	Holder compshare.Image
	Err    error // the refusal; or the lost answer, when the image found by name is older than the build
}

func (e *NameTakenError) Error() string {
	if compshare.IsNameTaken(e.Err) {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v; image %s, created %s, before this build was requested, has the name: the build was most likely refused for it",
		e.Err, e.Holder.ID, e.Holder.CreatedAt.UTC().Format(time.RFC3339))
}

func (e *NameTakenError) Unwrap() error { return e.Err }

// nameTaken looks up the image that has name, as the API's refusal may not
// say, on a short context of its own (ctx may be over); the refusal as it is
// when the lookup fails.
func (l Images) nameTaken(ctx context.Context, region, zone, name string, refusal error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	img, err := l.API.ImageNamed(ctx, region, zone, name)
	if err != nil {
		return refusal
	}
	return &NameTakenError{Holder: img, Err: refusal}
}

// outlast returns a context that lasts at least floor from now, even after
// ctx ends: it ends at ctx's deadline or at now+floor, whichever is later,
// and ctx's cancellation (Ctrl-C) ends it only once floor has passed. now
// and ctx's deadline are on the lifecycle's clock; the cancellation's timer
// runs on the wall clock, floor from this call.
func outlast(ctx context.Context, now time.Time, floor time.Duration) (context.Context, context.CancelFunc) {
	deadline := now.Add(floor)
	if d, ok := ctx.Deadline(); ok && d.After(deadline) {
		deadline = d
	}
	out, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	wallFloor := time.Now().Add(floor)
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return // out's deadline is at least ctx's and floor's
		}
		timer := time.AfterFunc(time.Until(wallFloor), cancel)
		context.AfterFunc(out, func() { timer.Stop() })
	})
	return out, func() {
		stop()
		cancel()
	}
}

// Delete deletes the image (TerminateCompShareCustomImage) and waits until
// the list no longer holds it; an image already gone is deleted. An image
// never listed (neverListed: a build started moments ago, then interrupted)
// may be unknown to the API for imagewait.NewImageWindow: not found then is
// no proof that it is gone, and the deletion is tried again within that
// window. Errors: the API's refusal as it is (compshare.IsPublished for an
// image published to the community); a *TimeoutError when ctx ends first,
// for which compshare.IsNotFound holds while the API did not know the image
// yet, and not once the deletion was accepted and the image stays listed.
func (l Images) Delete(ctx context.Context, region, zone, imageID string, neverListed bool) error {
	fields := map[string]any{"image_id": imageID}
	del := func(ctx context.Context) (struct{}, error) {
		return struct{}{}, l.API.DeleteImage(ctx, region, zone, imageID)
	}
	var err error
	if neverListed {
		_, err = RetryWhenNotFound(ctx, l.polling(ctx, unknownPolling, "the image is not known yet; trying its deletion again", fields),
			imagewait.NewImageWindow, del)
	} else {
		_, err = del(ctx)
	}
	switch {
	case compshare.IsNotFound(err) && !errors.As(err, new(*TimeoutError)):
		return nil
	case err != nil:
		return err
	}
	return RetryUntilNotFound(ctx, l.polling(ctx, gonePolling, "the deleted image is still listed", fields), func(ctx context.Context) error {
		_, err := l.API.Image(ctx, region, zone, imageID)
		return err
	})
}
