package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// fakeFleet is a platform of instances on the fake clock: each transition
// takes transition; the lock is held while one runs, and for busyFor after
// the start. It records every call.
type fakeFleet struct {
	clock      *fakeClock
	transition time.Duration
	busyUntil  time.Time
	unknownTil time.Time // new ids are not found until then

	insts   map[string]*fakeInstance
	calls   []string
	create  func() (string, error) // nil: creates "uhost-new"
	named   []compshare.Instance   // what InstancesNamed lists
	resize  error                  // what ResizeInstance answers, when set
	endGone bool                   // a terminated instance is gone at once
	// movingRefused: a change while a transition runs is refused for the
	// state (as after a lost answer whose change went through), not busy.
	movingRefused bool
}

type fakeInstance struct {
	compshare.Instance
	final string
	until time.Time
	gone  bool
}

func newFleet(clock *fakeClock) *fakeFleet {
	return &fakeFleet{clock: clock, transition: 10 * time.Second, insts: map[string]*fakeInstance{}, endGone: true}
}

func (f *fakeFleet) add(id, state, charge string) {
	f.insts[id] = &fakeInstance{Instance: compshare.Instance{UHostID: id, State: state, ChargeType: charge}}
}

func (f *fakeFleet) get(id string) (*fakeInstance, error) {
	inst := f.insts[id]
	if inst == nil || inst.gone || f.clock.Now().Before(f.unknownTil) {
		return nil, &compshare.Error{Action: "X", UHostID: id, RetCode: 230, Param: "UHostId", Message: "Params [UHostId] not available"}
	}
	if inst.final != "" && !f.clock.Now().Before(inst.until) {
		inst.State, inst.final = inst.final, ""
	}
	return inst, nil
}

var errLock = &compshare.Error{Action: "X", RetCode: compshare.RetCodeInstanceBusy, Message: "InstanceOperationInProgress"}

// change applies a transition from want to final via transitional.
func (f *fakeFleet) change(call, id, want, transitional, final string) error {
	f.calls = append(f.calls, call)
	inst, err := f.get(id)
	if err != nil {
		return err
	}
	if inst.final != "" && f.movingRefused {
		return &compshare.Error{Action: call, RetCode: compshare.RetCodeInstanceState, Message: "instance is " + inst.State}
	}
	if inst.final != "" || f.clock.Now().Before(f.busyUntil) {
		return errLock
	}
	if inst.State != want {
		return &compshare.Error{Action: call, RetCode: compshare.RetCodeInstanceState, Message: "instance is " + inst.State}
	}
	inst.State, inst.final, inst.until = transitional, final, f.clock.Now().Add(f.transition)
	return nil
}

func (f *fakeFleet) CreateInstance(context.Context, string, string, compshare.NewInstance) (string, error) {
	f.calls = append(f.calls, "create")
	if f.create != nil {
		return f.create()
	}
	f.add("uhost-new", compshare.StateInitializing, "")
	f.insts["uhost-new"].final, f.insts["uhost-new"].until = compshare.StateRunning, f.clock.Now().Add(f.transition)
	return "uhost-new", nil
}

func (f *fakeFleet) InstancesNamed(context.Context, string, string, string) ([]compshare.Instance, error) {
	f.calls = append(f.calls, "named")
	return f.named, nil
}

func (f *fakeFleet) Instance(_ context.Context, _, _, id string) (compshare.Instance, error) {
	inst, err := f.get(id)
	if err != nil {
		return compshare.Instance{}, err
	}
	return inst.Instance, nil
}

func (f *fakeFleet) StartInstance(_ context.Context, _, _, id string) error {
	return f.change("start", id, compshare.StateStopped, compshare.StateStarting, compshare.StateRunning)
}

func (f *fakeFleet) StopInstance(_ context.Context, _, _, id string, force bool) error {
	if inst, err := f.get(id); err == nil && inst.ChargeType == "Spot" && !force {
		f.calls = append(f.calls, "stop")
		return &compshare.Error{Action: "stop", RetCode: compshare.RetCodeInstanceState, Message: "Spot needs Force"}
	}
	return f.change(fmt.Sprintf("stop(force=%t)", force), id, compshare.StateRunning, compshare.StateStopping, compshare.StateStopped)
}

func (f *fakeFleet) ResizeInstance(_ context.Context, _, _, id string, size compshare.InstanceSize) error {
	if f.resize != nil {
		f.calls = append(f.calls, "resize")
		return f.resize
	}
	err := f.change("resize", id, compshare.StateStopped, compshare.StateResizing, compshare.StateStopped)
	if err == nil {
		f.insts[id].CPU = size.CPU
	}
	return err
}

func (f *fakeFleet) TerminateInstance(_ context.Context, _, _, id string) error {
	f.calls = append(f.calls, "terminate")
	inst, err := f.get(id)
	switch {
	case err != nil:
		return err
	case inst.final != "" || f.clock.Now().Before(f.busyUntil):
		return errLock
	case inst.State != compshare.StateStopped && inst.State != compshare.StateInstallFail:
		return &compshare.Error{Action: "terminate", RetCode: compshare.RetCodeInstanceState}
	}
	inst.gone = f.endGone
	return nil
}

func (f *fakeFleet) RenameInstance(context.Context, string, string, string, string) error { return nil }

func (f *fakeFleet) ResetInstancePassword(context.Context, string, string, string, string) error {
	return nil
}

func newInstances(f *fakeFleet, logged *[]string) Instances {
	return Instances{API: f, Clock: f.clock, Log: func(_ context.Context, msg string, _ map[string]any) { *logged = append(*logged, msg) }}
}

func TestInstanceCreateAndWaitForRunning(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	var logged []string
	l := newInstances(f, &logged)
	ctx := clock.withDeadline(t, time.Hour)
	launch, err := l.Create(ctx, "r", "z", compshare.NewInstance{Name: "n"})
	if err != nil || launch.ID != "uhost-new" || launch.Lost != nil {
		t.Fatalf("launch %+v, %v", launch, err)
	}
	inst, err := l.Wait(ctx, "r", "z", launch.ID, NewInstanceWindow, ToRunning)
	if err != nil || inst.State != compshare.StateRunning {
		t.Fatalf("wait: %+v, %v", inst, err)
	}
}

// A lost answer is recovered by the name, never by a second create: the
// instance of that name that existed before is not taken for the new one.
func TestInstanceCreateLostAnswerFindsItByName(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.create = func() (string, error) {
		return "", &compshare.Error{Action: compshare.ActionCreateInstance, Status: http.StatusGatewayTimeout, Transient: true}
	}
	old := clock.Now().Add(-time.Hour)
	f.named = []compshare.Instance{{UHostID: "uhost-old", CreatedAt: old}, {UHostID: "uhost-lost", CreatedAt: clock.Now()}}
	var logged []string
	launch, err := newInstances(f, &logged).Create(clock.withDeadline(t, time.Hour), "r", "z", compshare.NewInstance{Name: "n"})
	if err != nil || launch.ID != "uhost-lost" || launch.Lost == nil {
		t.Fatalf("launch %+v, %v", launch, err)
	}
	if got := strings.Join(f.calls, ","); got != "create,named" {
		t.Errorf("calls %s", got)
	}
}

func TestInstanceCreateLostAnswerNothingListed(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.create = func() (string, error) {
		return "", &compshare.Error{Action: compshare.ActionCreateInstance, Status: http.StatusBadGateway, Transient: true}
	}
	var logged []string
	_, err := newInstances(f, &logged).Create(clock.withDeadline(t, time.Minute), "r", "z", compshare.NewInstance{Name: "n"})
	var lost *LostInstanceError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), `no instance named "n"`) {
		t.Fatalf("error %v, want a LostInstanceError", err)
	}
	if n := strings.Count(strings.Join(f.calls, ","), "create"); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
}

// A refusal (sold out) is returned at once: nothing to look for.
func TestInstanceCreateRefusedIsReturned(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	soldOut := &compshare.Error{Action: compshare.ActionCreateInstance, RetCode: compshare.RetCodeSoldOut, Message: "not enough resources"}
	f.create = func() (string, error) { return "", soldOut }
	var logged []string
	_, err := newInstances(f, &logged).Create(clock.withDeadline(t, time.Hour), "r", "z", compshare.NewInstance{Name: "n"})
	if !errors.Is(err, soldOut) || len(f.calls) != 1 || len(clock.sleeps) != 0 {
		t.Errorf("error %v, calls %v, sleeps %v", err, f.calls, clock.sleeps)
	}
}

func TestInstanceWaitInstallFail(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.add("uhost-1", compshare.StateInitializing, "")
	f.insts["uhost-1"].final, f.insts["uhost-1"].until = compshare.StateInstallFail, clock.Now().Add(5*time.Second)
	var logged []string
	_, err := newInstances(f, &logged).Wait(clock.withDeadline(t, time.Hour), "r", "z", "uhost-1", 0, ToRunning)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != compshare.StateInstallFail {
		t.Errorf("error %v, want Install Fail", err)
	}
}

// Destroy rides out the lock (logging each retry), stops a Spot instance
// with Force, terminates it and waits until it is gone.
func TestInstanceDeleteRidesOutTheLock(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.add("uhost-1", compshare.StateRunning, "Spot")
	f.busyUntil = clock.Now().Add(5 * time.Second)
	var logged []string
	if err := newInstances(f, &logged).Delete(clock.withDeadline(t, time.Hour), "r", "z", "uhost-1", false); err != nil {
		t.Fatal(err)
	}
	calls := slices.Compact(slices.Clone(f.calls))
	if got := strings.Join(calls, ","); got != "stop(force=true),terminate" {
		t.Errorf("calls %s", got)
	}
	if !slices.ContainsFunc(logged, func(s string) bool { return strings.Contains(s, "operation lock is held") }) {
		t.Errorf("the lock was not logged: %q", logged)
	}
	if _, err := f.Instance(t.Context(), "r", "z", "uhost-1"); !compshare.IsNotFound(err) {
		t.Errorf("still there: %v", err)
	}
}

// The lock held past the timeout ends the delete with a timeout that says
// it was busy.
func TestInstanceDeleteLockOutlastsTheTimeout(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.add("uhost-1", compshare.StateRunning, "")
	f.busyUntil = clock.Now().Add(time.Hour)
	var logged []string
	err := newInstances(f, &logged).Delete(clock.withDeadline(t, time.Minute), "r", "z", "uhost-1", false)
	var te *TimeoutError
	if !errors.As(err, &te) || !compshare.IsBusy(err) {
		t.Errorf("error %v, want a timeout while busy", err)
	}
}

// An instance created moments ago and unknown yet is looked for, not taken
// for gone; one listed before that is not found is gone.
func TestInstanceDeleteNeverListed(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.add("uhost-1", compshare.StateStopped, "")
	f.unknownTil = clock.Now().Add(10 * time.Second)
	var logged []string
	l := newInstances(f, &logged)
	if err := l.Delete(clock.withDeadline(t, time.Hour), "r", "z", "uhost-1", true); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(f.calls, "terminate") {
		t.Errorf("the new instance was not terminated: %v", f.calls)
	}
	g := newFleet(clock)
	if err := newInstances(g, &logged).Delete(clock.withDeadline(t, time.Hour), "r", "z", "uhost-gone", false); err != nil || len(g.calls) != 0 {
		t.Errorf("gone: %v, calls %v", err, g.calls)
	}
}

// A resize of a running instance stops it, resizes, waits, starts it.
func TestInstanceResizeRunning(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.add("uhost-1", compshare.StateRunning, "")
	var logged []string
	l := newInstances(f, &logged)
	ctx := clock.withDeadline(t, time.Hour)
	inst, err := l.Resize(ctx, "r", "z", compshare.Instance{UHostID: "uhost-1"}, compshare.InstanceSize{CPU: 32})
	if err != nil || inst.State != compshare.StateRunning || inst.CPU != 32 {
		t.Fatalf("%+v, %v", inst, err)
	}
	if got := strings.Join(slices.Compact(slices.Clone(f.calls)), ","); got != "stop(force=false),resize,start" {
		t.Errorf("calls %s", got)
	}
	// A stopped instance stays stopped.
	f.add("uhost-2", compshare.StateStopped, "")
	f.calls = nil
	if inst, err := l.Resize(ctx, "r", "z", compshare.Instance{UHostID: "uhost-2"}, compshare.InstanceSize{CPU: 8}); err != nil || inst.State != compshare.StateStopped {
		t.Fatalf("%+v, %v", inst, err)
	}
	if got := strings.Join(f.calls, ","); got != "resize" {
		t.Errorf("calls %s", got)
	}
}

// A resize refused (sold out for more GPUs) leaves a running instance
// running again, and says why.
func TestInstanceResizeRefusedRestarts(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.add("uhost-1", compshare.StateRunning, "")
	f.resize = &compshare.Error{Action: compshare.ActionResizeInstance, RetCode: compshare.RetCodeSoldOut, Message: "not enough resources"}
	var logged []string
	inst, err := newInstances(f, &logged).Resize(clock.withDeadline(t, time.Hour), "r", "z", compshare.Instance{UHostID: "uhost-1"}, compshare.InstanceSize{GPU: 8})
	if compshare.Classify(err) != compshare.SoldOut || inst.State != compshare.StateRunning {
		t.Fatalf("%+v, %v", inst, err)
	}
	if got := strings.Join(slices.Compact(slices.Clone(f.calls)), ","); got != "stop(force=false),resize,start" {
		t.Errorf("calls %s", got)
	}
}

// Another instance may have the same name: one created long before the
// loss is another's, never the new one. Adopted, destroy would terminate
// it.
func TestInstanceCreateLostAnswerSkipsAnOlderStranger(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.create = func() (string, error) {
		return "", &compshare.Error{Action: compshare.ActionCreateInstance, Status: http.StatusBadGateway, Transient: true}
	}
	f.named = []compshare.Instance{{UHostID: "uhost-stranger", CreatedAt: clock.Now().Add(-time.Hour)}}
	var logged []string
	launch, err := newInstances(f, &logged).Create(clock.withDeadline(t, time.Minute), "r", "z", compshare.NewInstance{Name: "n"})
	var lost *LostInstanceError
	if !errors.As(err, &lost) {
		t.Fatalf("launch %+v, error %v; want a LostInstanceError, not the older instance", launch, err)
	}
}

// Two new instances of the name (another apply, or a person, created one
// at the same time): which is this request's cannot be told, and taking
// the wrong one would leave this one unknown and let destroy terminate the
// other's. Neither is adopted; the error names both.
func TestInstanceCreateLostAnswerSeveralNewOnesAreNotGuessed(t *testing.T) {
	clock := newFakeClock()
	f := newFleet(clock)
	f.create = func() (string, error) {
		return "", &compshare.Error{Action: compshare.ActionCreateInstance, Status: http.StatusBadGateway, Transient: true}
	}
	f.named = []compshare.Instance{{UHostID: "uhost-a", CreatedAt: clock.Now()}, {UHostID: "uhost-b", CreatedAt: clock.Now().Add(time.Second)}}
	var logged []string
	launch, err := newInstances(f, &logged).Create(clock.withDeadline(t, time.Minute), "r", "z", compshare.NewInstance{Name: "n"})
	var lost *LostInstanceError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "uhost-a") || !strings.Contains(err.Error(), "uhost-b") {
		t.Fatalf("launch %+v, error %v; want a LostInstanceError naming uhost-a and uhost-b", launch, err)
	}
}

// A start or stop refused because the instance is already on its way
// (Starting, Stopping: a change made elsewhere, or an earlier try whose
// answer was lost) waits for it, rather than failing the apply.
func TestInstanceChangeAlreadyOnItsWay(t *testing.T) {
	for _, tc := range []struct {
		from, moving, to string
		do               func(Instances, context.Context, compshare.Instance) (compshare.Instance, error)
	}{
		{compshare.StateStopped, compshare.StateStarting, compshare.StateRunning, func(l Instances, ctx context.Context, i compshare.Instance) (compshare.Instance, error) {
			return l.Start(ctx, "r", "z", i)
		}},
		{compshare.StateRunning, compshare.StateStopping, compshare.StateStopped, func(l Instances, ctx context.Context, i compshare.Instance) (compshare.Instance, error) {
			return l.Stop(ctx, "r", "z", i)
		}},
	} {
		clock := newFakeClock()
		f := newFleet(clock)
		f.movingRefused = true
		f.add("uhost-1", tc.moving, "")
		f.insts["uhost-1"].final, f.insts["uhost-1"].until = tc.to, clock.Now().Add(f.transition)
		var logged []string
		stale := compshare.Instance{UHostID: "uhost-1", State: tc.from}
		inst, err := tc.do(newInstances(f, &logged), clock.withDeadline(t, time.Hour), stale)
		if err != nil || inst.State != tc.to {
			t.Errorf("%s: %+v, %v; want %s", tc.moving, inst, err, tc.to)
		}
	}
}
