package compshare

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

const (
	region = "cn-wlcb"
	zone   = "cn-wlcb-01"
	image  = "compshareImage-ready"
)

// clock is the emulator's injectable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fleetClient starts the emulator, with one Available image and the fleet
// given, on a clock of the test's, and returns a client of it.
func fleetClient(t *testing.T, fleet emulator.Fleet) (*Client, *emulator.Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	srv, err := emulator.Start(emulator.Config{
		PublicKey: "pub", PrivateKey: testPrivateKey, Now: clk.now, Fleet: fleet,
		Images: []emulator.Image{{ID: image, Name: "ready", Region: region, Zone: zone}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL(), MaxRetries: 2, MaxRequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return 0 }
	return c, srv, clk
}

func newSpec(name string) NewInstance {
	return NewInstance{ImageID: image, GpuType: "4090", GPU: 1, CPU: 16, MemoryMB: 65536, BootDiskType: "CLOUD_SSD",
		BootDiskSizeGB: 100, ChargeType: "Dynamic", Name: name, Password: "Pa55/word+="}
}

func state(t *testing.T, c *Client, id string) Instance {
	t.Helper()
	inst, err := c.Instance(t.Context(), region, zone, id)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// The whole life of an instance, against the emulator over HTTP: each
// change goes through its transitional state to the next, and the lock
// refuses changes meanwhile.
func TestInstanceLifecycle(t *testing.T) {
	ctx := t.Context()
	c, srv, clk := fleetClient(t, emulator.Fleet{Initialize: time.Minute, Transition: 10 * time.Second})
	id, err := c.CreateInstance(ctx, region, zone, newSpec("trainer"))
	if err != nil {
		t.Fatal(err)
	}
	inst := state(t, c, id)
	if inst.State != StateInitializing || inst.Name != "trainer" || inst.CPU != 16 || inst.MemoryMB != 65536 || inst.GPU != 1 ||
		inst.GpuType != "4090" || inst.ImageID != image || inst.ChargeType != "Dynamic" || len(inst.IPs) != 1 || inst.CreatedAt.IsZero() {
		t.Fatalf("new instance %+v", inst)
	}
	if disk, ok := inst.BootDisk(); !ok || disk.Type != "CLOUD_SSD" || disk.SizeGB != 100 {
		t.Errorf("boot disk %+v, %t", disk, ok)
	}
	if err := c.StopInstance(ctx, region, zone, id, false); !IsBusy(err) {
		t.Errorf("stop while Initializing: %v, want busy", err)
	}
	clk.add(time.Minute)
	if got := state(t, c, id).State; got != StateRunning {
		t.Fatalf("state %q after initializing", got)
	}

	if err := c.RenameInstance(ctx, region, zone, id, "trainer-2"); err != nil {
		t.Fatal(err)
	}
	if err := c.ResizeInstance(ctx, region, zone, id, InstanceSize{CPU: 32}); Classify(err) != WrongState {
		t.Errorf("resize while Running: %v, want a state refusal", err)
	}
	if err := c.StopInstance(ctx, region, zone, id, false); err != nil {
		t.Fatal(err)
	}
	if got := state(t, c, id).State; got != StateStopping {
		t.Errorf("state %q while stopping", got)
	}
	clk.add(10 * time.Second)
	if err := c.ResizeInstance(ctx, region, zone, id, InstanceSize{CPU: 32, MemoryMB: 131072, GPU: 2}); err != nil {
		t.Fatal(err)
	}
	clk.add(10 * time.Second)
	if err := c.ResetInstancePassword(ctx, region, zone, id, "n3w-Pass"); err != nil {
		t.Fatal(err)
	}
	if err := c.StartInstance(ctx, region, zone, id); err != nil {
		t.Fatal(err)
	}
	clk.add(10 * time.Second)
	inst = state(t, c, id)
	if inst.State != StateRunning || inst.Name != "trainer-2" || inst.CPU != 32 || inst.MemoryMB != 131072 || inst.GPU != 2 {
		t.Errorf("after the changes: %+v", inst)
	}
	for _, x := range srv.Instances() {
		if x.ID == id && x.Password != base64.StdEncoding.EncodeToString([]byte("n3w-Pass")) {
			t.Errorf("the platform holds password %q, want the new one base64", x.Password)
		}
	}

	if err := c.TerminateInstance(ctx, region, zone, id); Classify(err) != WrongState {
		t.Errorf("terminate while Running: %v, want a state refusal", err)
	}
	if err := c.StopInstance(ctx, region, zone, id, false); err != nil {
		t.Fatal(err)
	}
	clk.add(10 * time.Second)
	if err := c.TerminateInstance(ctx, region, zone, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Instance(ctx, region, zone, id); !IsNotFound(err) {
		t.Errorf("after termination: %v, want not found", err)
	}
	if err := c.TerminateInstance(ctx, region, zone, id); !IsNotFound(err) {
		t.Errorf("terminating it again: %v, want not found", err)
	}
}

// The platform's refusals of a creation are classified, not retried (one
// request each), and say what they are about.
func TestCreateInstanceRefusals(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		fleet emulator.Fleet
		spec  func(NewInstance) NewInstance
		want  Refusal
		words []string
	}{
		{name: "sold out", fleet: emulator.Fleet{Stock: map[string]int{zone + "/4090": 0}}, want: SoldOut, words: []string{"226604", "4090", zone}},
		{name: "quota", fleet: emulator.Fleet{Quota: -1}, want: QuotaReached, words: []string{"quota"}},
		{name: "image not ready", spec: func(s NewInstance) NewInstance { s.ImageID = "compshareImage-making"; return s }, want: ImageNotReady, words: []string{"Making"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fleet.Quota < 0 {
				tc.fleet.Quota = 1
			}
			c, srv, _ := fleetClient(t, tc.fleet)
			srv.SetImage(emulator.Image{ID: "compshareImage-making", Total: time.Hour})
			if tc.want == QuotaReached {
				if _, err := c.CreateInstance(ctx, region, zone, newSpec("first")); err != nil {
					t.Fatal(err)
				}
			}
			spec := newSpec("x")
			if tc.spec != nil {
				spec = tc.spec(spec)
			}
			before := srv.RequestCount()
			_, err := c.CreateInstance(ctx, region, zone, spec)
			if got := Classify(err); got != tc.want || IsTransient(err) {
				t.Fatalf("error %v: refusal %d (transient %t), want %d", err, got, IsTransient(err), tc.want)
			}
			if n := srv.RequestCount() - before; n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			for _, w := range append(tc.words, ActionCreateInstance, "request id") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// CreateCompShareInstance is retried only when the API refused it unread
// (HTTP 429): anything else may have created an instance.
func TestCreateInstanceIsNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		requests int
	}{
		{name: "HTTP 429", status: http.StatusTooManyRequests, requests: 2},
		{name: "RetCode 153 (throttled)", status: http.StatusOK, body: `{"RetCode":153,"Message":"request throttled"}`, requests: 2},
		{name: "RetCode 150 (unavailable)", status: http.StatusOK, body: `{"RetCode":150,"Message":"service unavailable"}`, requests: 1},
		{name: "HTTP 502", status: http.StatusBadGateway, requests: 1},
		{name: "HTTP 504", status: http.StatusGatewayTimeout, requests: 1},
		{name: "RetCode 8433", status: http.StatusOK, body: `{"RetCode":8433,"Message":"busy"}`, requests: 1},
		{name: "unreadable", status: http.StatusOK, body: `<html>`, requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, forms := actionServer(t, func(n int, _ url.Values) (int, string) {
				if n > 1 {
					return http.StatusOK, `{"RetCode":0,"UHostIds":["uhost-new"]}`
				}
				return tc.status, tc.body
			})
			_, _ = c.CreateInstance(t.Context(), region, zone, newSpec("n"))
			if len(forms()) != tc.requests {
				t.Errorf("%d requests, want %d", len(forms()), tc.requests)
			}
		})
	}
}

// The request carries the password base64 encoded; an error never shows
// it, in either form, even when the server echoes it.
func TestInstancePasswordNeverInErrors(t *testing.T) {
	const password = "Pa55/word+="
	encoded := base64.StdEncoding.EncodeToString([]byte(password))
	c, forms := actionServer(t, func(_ int, form url.Values) (int, string) {
		return http.StatusOK, `{"RetCode":230,"Message":"Params [Password] not available: ` + form.Get("Password") + ` (` + password + `)"}`
	})
	_, err := c.CreateInstance(t.Context(), region, zone, newSpec("n"))
	assertNoSecret(t, err, password, encoded)
	if got := forms()[0].Get("Password"); got != encoded {
		t.Errorf("sent password %q, want it base64", got)
	}
	err = c.ResetInstancePassword(t.Context(), region, zone, "uhost-1", password)
	assertNoSecret(t, err, password, encoded)
}

func TestCreateInstanceRequest(t *testing.T) {
	c, forms := actionServer(t, ok(`{"RetCode":0,"UHostIds":[" uhost-new "]}`))
	spec := newSpec("trainer")
	spec.SecurityGroupID, spec.Password = "firewall-1", ""
	id, err := c.CreateInstance(t.Context(), region, zone, spec)
	if err != nil || id != "uhost-new" {
		t.Fatalf("id %q, err %v", id, err)
	}
	want := "Action=CreateCompShareInstance CPU=16 ChargeType=Dynamic CompShareImageId=" + image + " Disks.0.IsBoot=true Disks.0.Size=100 " +
		"Disks.0.Type=CLOUD_SSD GPU=1 GpuType=4090 MachineType=G Memory=65536 Name=trainer ProjectId=org-1 Region=cn-wlcb SecurityGroupId=firewall-1 Zone=cn-wlcb-01"
	if got := params(forms()[0]); got != want {
		t.Errorf("request\n got %s\nwant %s", got, want)
	}
}

// A Spot instance stops only with Force, which the SDK's request lacks.
func TestStopSpotInstanceNeedsForce(t *testing.T) {
	ctx := t.Context()
	c, _, _ := fleetClient(t, emulator.Fleet{})
	spec := newSpec("spot")
	spec.ChargeType = "Spot"
	id, err := c.CreateInstance(ctx, region, zone, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StopInstance(ctx, region, zone, id, false); Classify(err) != WrongState {
		t.Errorf("stop without Force: %v, want a refusal", err)
	}
	if err := c.StopInstance(ctx, region, zone, id, true); err != nil {
		t.Fatal(err)
	}
	if got := state(t, c, id).State; got != StateStopped {
		t.Errorf("state %q", got)
	}
}

// A lock held by an operation started elsewhere is busy, also when the
// server only says so in words (an API whose RetCode we do not know).
func TestBusyIsClassifiedOnce(t *testing.T) {
	ctx := t.Context()
	c, srv, clk := fleetClient(t, emulator.Fleet{})
	id, err := c.CreateInstance(ctx, region, zone, newSpec("busy"))
	if err != nil {
		t.Fatal(err)
	}
	srv.HoldLock(id, time.Minute)
	if err := c.StopInstance(ctx, region, zone, id, false); !IsBusy(err) || IsTransient(err) {
		t.Errorf("stop under a lock: %v, want busy and not retried by the client", err)
	}
	clk.add(time.Minute)
	if err := c.StopInstance(ctx, region, zone, id, false); err != nil {
		t.Fatal(err)
	}
	words, _ := actionServer(t, ok(`{"RetCode":18001,"Message":"InstanceOperationInProgress"}`))
	if err := words.StartInstance(ctx, region, zone, "uhost-1"); !IsBusy(err) {
		t.Errorf("%v: want busy", err)
	}
}

// A new id is briefly unknown: lists leave it out, actions refuse it as
// not found, until the API knows it.
func TestNewInstanceBrieflyUnknown(t *testing.T) {
	ctx := t.Context()
	c, _, clk := fleetClient(t, emulator.Fleet{UnknownFor: 5 * time.Second})
	id, err := c.CreateInstance(ctx, region, zone, newSpec("new"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Instance(ctx, region, zone, id); !IsNotFound(err) {
		t.Errorf("describe at once: %v, want not found", err)
	}
	if err := c.StopInstance(ctx, region, zone, id, false); !IsNotFound(err) {
		t.Errorf("stop at once: %v, want not found", err)
	}
	clk.add(5 * time.Second)
	if got := state(t, c, id).State; got != StateRunning {
		t.Errorf("state %q", got)
	}
	named, err := c.InstancesNamed(ctx, region, zone, "new")
	if err != nil || len(named) != 1 || named[0].UHostID != id {
		t.Errorf("by name: %+v, %v", named, err)
	}
}

// The gateway's throttling and unavailability RetCodes pass with time: the
// client retries them on actions that may be repeated.
func TestGatewayRetCodesAreRetried(t *testing.T) {
	for _, code := range []int{150, 153} {
		c, forms := actionServer(t, func(n int, _ url.Values) (int, string) {
			if n == 1 {
				return http.StatusOK, fmt.Sprintf(`{"RetCode":%d,"Message":"gateway"}`, code)
			}
			return http.StatusOK, `{"Action":"DescribeCompShareInstanceResponse","RetCode":0,"TotalCount":1,"UHostSet":[{"UHostId":"uhost-1","State":"Running"}]}`
		})
		if _, err := c.Instance(t.Context(), region, zone, "uhost-1"); err != nil || len(forms()) != 2 {
			t.Errorf("RetCode %d: %v after %d requests, want success after 2", code, err, len(forms()))
		}
	}
}

// A state word with spaces around it is the word: " Running" untrimmed
// would never count as Running, and every wait would run to its timeout.
func TestInstanceStateIsTrimmed(t *testing.T) {
	var answer describeInstanceResponse
	if err := json.Unmarshal([]byte(`{"UHostSet":[{"UHostId":"uhost-1","State":" Running \n"}]}`), &answer); err != nil {
		t.Fatal(err)
	}
	if got := answer.UHostSet[0].instance().State; got != StateRunning {
		t.Errorf("state %q, want %q", got, StateRunning)
	}
}

// An answer with two ids for the one instance asked for (the same id twice
// is one): taking the first would leave the other, a paid instance, unknown
// to the caller. It is read as unreadable, so the caller looks the instances
// up by name; the error names both ids.
func TestCreateInstanceTwoIDsIsNotTakenAsOne(t *testing.T) {
	c, forms := actionServer(t, ok(`{"RetCode":0,"UHostIds":["uhost-a","uhost-b"]}`))
	_, err := c.CreateInstance(t.Context(), region, zone, newSpec("n"))
	if !AnswerLost(err) || !strings.Contains(err.Error(), "uhost-a") || !strings.Contains(err.Error(), "uhost-b") {
		t.Errorf("error %v; want an answer counted as lost, naming uhost-a and uhost-b", err)
	}
	if n := len(forms()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	c, _ = actionServer(t, ok(`{"RetCode":0,"UHostIds":["uhost-a"," uhost-a"]}`))
	if id, err := c.CreateInstance(t.Context(), region, zone, newSpec("n")); err != nil || id != "uhost-a" {
		t.Errorf("id %q, error %v; want uhost-a", id, err)
	}
}
