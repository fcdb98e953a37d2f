package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
)

// InstanceAPI is what a GPU instance's lifecycle needs of the API;
// *compshare.Client implements it.
type InstanceAPI interface {
	CreateInstance(ctx context.Context, region, zone string, spec compshare.NewInstance) (string, error)
	InstancesNamed(ctx context.Context, region, zone, name string) ([]compshare.Instance, error)
	Instance(ctx context.Context, region, zone, uhostID string) (compshare.Instance, error)
	StartInstance(ctx context.Context, region, zone, uhostID string) error
	StopInstance(ctx context.Context, region, zone, uhostID string, force bool) error
	ResizeInstance(ctx context.Context, region, zone, uhostID string, size compshare.InstanceSize) error
	TerminateInstance(ctx context.Context, region, zone, uhostID string) error
	RenameInstance(ctx context.Context, region, zone, uhostID, name string) error
	ResetInstancePassword(ctx context.Context, region, zone, uhostID, password string) error
}

var _ InstanceAPI = (*compshare.Client)(nil)

// NewInstanceWindow is how long a new instance's id may be unknown to the
// API, and a new instance missing from the list: as for images (the API
// notes say new ids are briefly unknown, without a figure).
const NewInstanceWindow = 30 * time.Second

// The instance lifecycle's pauses. Transitions take seconds to minutes;
// the operation lock up to 10 minutes.
var (
	// lockPolling paces the retries of a change refused while the
	// instance's operation lock is held.
	lockPolling = Polling{Interval: 2 * time.Second, MaxInterval: 20 * time.Second}
	// statePolling paces the lookups that wait for a state.
	statePolling = Polling{Interval: time.Second, MaxInterval: 10 * time.Second}
)

// Instances is the GPU instance's lifecycle on the API: creation with the
// recovery of a lost answer, the waits for a state, the changes that ride
// out the operation lock, and the deletion (stop, terminate, gone).
type Instances struct {
	API   InstanceAPI
	Clock imagewait.Clock // nil: imagewait.RealClock
	// Log, if set, receives what the lifecycle does at debug level: each
	// pause, why and how long.
	Log func(ctx context.Context, msg string, fields map[string]any)
}

func (l Instances) polling(ctx context.Context, p Polling, what string, fields map[string]any) Polling {
	return Images{Clock: l.Clock, Log: l.Log}.polling(ctx, p, what, fields)
}

// Launch is a created instance.
type Launch struct {
	ID string
	// Lost is the error of the request whose answer was lost, when the
	// instance was then found by its name; nil when the API answered.
	Lost error
}

// LostInstanceError says that the answer to CreateCompShareInstance was
// lost and that no instance of its name was listed within the search: an
// instance may still have been created, unknown to the caller.
type LostInstanceError struct {
	Name, Region, Zone string
	Searched           time.Duration
	Err                error // the lost answer's
	// Several are the ids of the new instances of that name listed, when
	// more than one was: which is this request's cannot be told.
	Several []string
}

func (e *LostInstanceError) Error() string {
	if len(e.Several) > 1 {
		return fmt.Sprintf("%v; then %d new instances named %q were listed in region %s, zone %s: %s: one may be this request's, "+
			"another created at the same time by someone else, so none is taken for it: find yours in the Compshare console, then import it "+
			"or terminate it before you apply again", e.Err, len(e.Several), e.Name, e.Region, e.Zone, strings.Join(e.Several, ", "))
	}
	return fmt.Sprintf("%v; no instance named %q was listed in region %s, zone %s within %v after that: an instance of that name may "+
		"have been created: look for it in the Compshare console before you apply again", e.Err, e.Name, e.Region, e.Zone, e.Searched.Round(time.Second))
}

func (e *LostInstanceError) Unwrap() error { return e.Err }

// Create creates one instance (CreateCompShareInstance) and returns its id.
// It is never sent twice: a duplicate GPU instance costs money. When its
// answer is lost (compshare.AnswerLost), the instance is looked for by its
// name until ctx's deadline, and at least NewInstanceWindow from the loss,
// even after ctx ends. Found, it is the Launch, with Lost set (of several
// instances of that name not created more than 10 minutes before the loss,
// the only one: several are a *LostInstanceError naming them); not found, a
// *LostInstanceError. Any other error is the API's refusal, as it is
// (compshare.Classify tells sold out, quota and the rest).
func (l Instances) Create(ctx context.Context, region, zone string, spec compshare.NewInstance) (Launch, error) {
	id, err := l.API.CreateInstance(ctx, region, zone, spec)
	switch {
	case err == nil:
		return Launch{ID: id}, nil
	case !compshare.AnswerLost(err):
		return Launch{}, err
	}
	lost := err
	clock := Polling{Clock: l.Clock}.clock()
	from := clock.Now()
	// As for a build: the search lasts one longest pause more than the
	// window, so that its last lookup comes no earlier than NewInstanceWindow
	// after the loss.
	search, cancel := outlast(ctx, from, NewInstanceWindow+findPolling.MaxInterval)
	defer cancel()
	end, _ := search.Deadline()
	window := end.Sub(from)
	var several []string
	named := func(ctx context.Context) (string, error) {
		insts, err := l.API.InstancesNamed(ctx, region, zone, spec.Name)
		if err != nil {
			return "", err
		}
		var candidates []string
		for _, inst := range insts {
			// As for a build: one created more than olderThanLoss before the
			// loss is another instance that already had the name.
			older := !inst.CreatedAt.IsZero() && inst.CreatedAt.Before(from.Add(-olderThanLoss))
			if !older {
				candidates = append(candidates, inst.UHostID)
			}
		}
		switch len(candidates) {
		case 0:
			return "", &compshare.Error{Action: compshare.ActionDescribeInstance, Region: region, Zone: zone, NotListed: true,
				Message: fmt.Sprintf("no new instance is named %q", spec.Name)}
		case 1:
			return candidates[0], nil
		}
		several = candidates
		return "", errSeveral
	}
	id, err = RetryWhenNotFound(search, l.polling(ctx, findPolling, "the answer to the create request was lost; looking for the instance by its name",
		map[string]any{"name": spec.Name, "lost": lost.Error()}), window, named)
	if err != nil {
		return Launch{}, &LostInstanceError{Name: spec.Name, Region: region, Zone: zone, Searched: clock.Now().Sub(from), Err: lost, Several: several}
	}
	return Launch{ID: id, Lost: lost}, nil
}

// errSeveral says that more than one new instance has the name.
var errSeveral = errors.New("several new instances have the name")

// Settled reports whether a state is one the instance rests in: Running,
// Stopped or Install Fail. Every other word, "" and unknown ones included,
// is a transition still running (API notes: treat unknown words as still
// changing, Install Fail as final).
func Settled(state string) bool {
	for _, s := range []string{compshare.StateRunning, compshare.StateStopped, compshare.StateInstallFail} {
		if strings.EqualFold(state, s) {
			return true
		}
	}
	return false
}

// Rules of the instance waits.
var (
	// ToRunning: after a creation or a start. Install Fail is final.
	ToRunning Rules = func(s string) Outcome { return towards(s, compshare.StateRunning) }
	// ToStopped: after a stop or a resize.
	ToStopped Rules = func(s string) Outcome { return towards(s, compshare.StateStopped) }
)

func towards(state, target string) Outcome {
	switch {
	case strings.EqualFold(state, target):
		return Reached
	case strings.EqualFold(state, compshare.StateInstallFail):
		return Failed
	}
	return Pending
}

// Wait looks the instance up until rules judge its state Reached, and
// returns it as last read. Install Fail (or what the rules call Failed)
// is a *StatusError; an id unknown during newFor from the first lookup is
// waited for; ctx ending first is a *TimeoutError with the last state.
func (l Instances) Wait(ctx context.Context, region, zone, uhostID string, newFor time.Duration, rules Rules) (compshare.Instance, error) {
	var last compshare.Instance
	_, err := WaitForStatus(ctx, l.polling(ctx, statePolling, "waiting for the instance's state", map[string]any{"uhost_id": uhostID}), newFor, rules,
		func(ctx context.Context) (string, error) {
			inst, err := l.API.Instance(ctx, region, zone, uhostID)
			if err == nil {
				last = inst
			}
			return inst.State, err
		})
	return last, err
}

// Change calls f, the change of one instance, again while the instance's
// operation lock is held (compshare.IsBusy), until ctx ends: each retry is
// logged at debug level. f is called again only after the API refused it,
// so a change that is not idempotent is safe here.
func (l Instances) Change(ctx context.Context, what, uhostID string, f func(context.Context) error) error {
	_, err := RetryWhileBusy(ctx, l.polling(ctx, lockPolling, "the instance's operation lock is held; retrying "+what,
		map[string]any{"uhost_id": uhostID}), func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}

// Stop stops the instance (with Force for a Spot instance, which needs it)
// and waits until it is Stopped. An instance Stopped already is left as it is.
func (l Instances) Stop(ctx context.Context, region, zone string, inst compshare.Instance) (compshare.Instance, error) {
	if strings.EqualFold(inst.State, compshare.StateStopped) {
		return inst, nil
	}
	force := strings.EqualFold(inst.ChargeType, "Spot")
	err := l.Change(ctx, "the stop", inst.UHostID, func(ctx context.Context) error {
		return l.API.StopInstance(ctx, region, zone, inst.UHostID, force)
	})
	if err != nil && !alreadyIn(ctx, l, region, zone, inst.UHostID, compshare.StateStopped, compshare.StateStopping) {
		return inst, err
	}
	return l.Wait(ctx, region, zone, inst.UHostID, 0, ToStopped)
}

// Start starts the instance and waits until it is Running. An instance
// Running already is left as it is.
func (l Instances) Start(ctx context.Context, region, zone string, inst compshare.Instance) (compshare.Instance, error) {
	if strings.EqualFold(inst.State, compshare.StateRunning) {
		return inst, nil
	}
	err := l.Change(ctx, "the start", inst.UHostID, func(ctx context.Context) error {
		return l.API.StartInstance(ctx, region, zone, inst.UHostID)
	})
	if err != nil && !alreadyIn(ctx, l, region, zone, inst.UHostID, compshare.StateRunning, compshare.StateStarting) {
		return inst, err
	}
	return l.Wait(ctx, region, zone, inst.UHostID, 0, ToRunning)
}

// alreadyIn reports whether a change refused for the instance's state was
// refused because the instance is in the state it was to reach, or on its
// way there (a change made elsewhere, or one that went through on an
// earlier try whose answer was lost): the caller then waits for state.
func alreadyIn(ctx context.Context, l Instances, region, zone, uhostID, state, towards string) bool {
	inst, err := l.API.Instance(ctx, region, zone, uhostID)
	return err == nil && (strings.EqualFold(inst.State, state) || strings.EqualFold(inst.State, towards))
}

// Settle waits until the instance rests in a state (see Settled) and
// returns it.
func (l Instances) Settle(ctx context.Context, region, zone, uhostID string) (compshare.Instance, error) {
	return l.Wait(ctx, region, zone, uhostID, 0, settled)
}

func settled(s string) Outcome {
	if Settled(s) {
		return Reached
	}
	return Pending
}

// Resize stops the instance if it runs, resizes it, waits until it is
// Stopped again, and starts it again if it ran (the platform resizes only
// Stopped instances). A resize the platform refuses (compshare.Classify)
// also starts an instance that ran again, and returns the refusal.
func (l Instances) Resize(ctx context.Context, region, zone string, inst compshare.Instance, size compshare.InstanceSize) (compshare.Instance, error) {
	inst, err := l.Settle(ctx, region, zone, inst.UHostID)
	if err != nil {
		return inst, err
	}
	wasRunning := strings.EqualFold(inst.State, compshare.StateRunning)
	if inst, err = l.Stop(ctx, region, zone, inst); err != nil {
		return inst, err
	}
	err = l.Change(ctx, "the resize", inst.UHostID, func(ctx context.Context) error {
		return l.API.ResizeInstance(ctx, region, zone, inst.UHostID, size)
	})
	if err != nil && wasRunning && compshare.Classify(err) != compshare.NotRefused {
		// Refused (sold out for more GPUs, ...): the instance runs again as
		// it did, and the refusal is what the caller hears of.
		if restarted, startErr := l.Start(ctx, region, zone, inst); startErr == nil {
			return restarted, err
		}
	}
	if err != nil {
		return inst, err
	}
	// The resize holds the lock while it runs: the wait sees Resizing,
	// then Stopped; a start meanwhile would be refused as busy.
	if inst, err = l.Wait(ctx, region, zone, inst.UHostID, 0, ToStopped); err != nil || !wasRunning {
		return inst, err
	}
	return l.Start(ctx, region, zone, inst)
}

// Delete stops the instance (Force for Spot), terminates it, and waits
// until the API no longer lists it. An instance already gone is deleted;
// but one never listed (neverListed: created moments ago, then
// interrupted) may be unknown to the API for NewInstanceWindow, and not
// found then is no proof that it is gone: it is looked for that long.
func (l Instances) Delete(ctx context.Context, region, zone, uhostID string, neverListed bool) error {
	var newFor time.Duration
	if neverListed {
		newFor = NewInstanceWindow
	}
	inst, err := l.Wait(ctx, region, zone, uhostID, newFor, settled)
	switch {
	case compshare.IsNotFound(err) && !errors.As(err, new(*TimeoutError)):
		return nil
	case err != nil:
		return err
	}
	if !strings.EqualFold(inst.State, compshare.StateInstallFail) {
		if _, err := l.Stop(ctx, region, zone, inst); err != nil {
			return err
		}
	}
	err = l.Change(ctx, "the termination", uhostID, func(ctx context.Context) error {
		return l.API.TerminateInstance(ctx, region, zone, uhostID)
	})
	switch {
	case compshare.IsNotFound(err) && !errors.As(err, new(*TimeoutError)):
		return nil
	case err != nil:
		return err
	}
	return RetryUntilNotFound(ctx, l.polling(ctx, gonePolling, "the terminated instance is still listed", map[string]any{"uhost_id": uhostID}),
		func(ctx context.Context) error {
			_, err := l.API.Instance(ctx, region, zone, uhostID)
			return err
		})
}
