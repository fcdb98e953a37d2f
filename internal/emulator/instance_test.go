package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// instanceCall sends an instance action in testRegion/testZone and decodes
// the answer's RetCode, Message and what instances it lists.
func instanceCall(t *testing.T, s *Server, action string, params map[string]any) instanceAnswer {
	t.Helper()
	p := map[string]any{"Action": action, "Region": testRegion, "Zone": testZone}
	for k, v := range params {
		p[k] = v
	}
	resp, body := call(t, s, p)
	var a instanceAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("%s: answer %q (HTTP %d): %v", action, body, resp.StatusCode, err)
	}
	a.status = resp.StatusCode
	return a
}

type instanceAnswer struct {
	status   int
	RetCode  int
	Message  string
	UHostIds []string
	UHostSet []struct {
		UHostId, Name, State, GpuType, Password, ChargeType string
		GPU, CPU, Memory                                    int
		DiskSet                                             []struct {
			DiskId, IsBoot string
			Size           int
		}
	}
}

func createParams(name string) map[string]any {
	return map[string]any{
		"GpuType": "4090", "GPU": 2, "CPU": 16, "Memory": 65536, "MachineType": "G", "CompShareImageId": "compshareImage-a",
		"ChargeType": "Dynamic", "Name": name, "Password": "UGFzc3dvcmQx", "Disks.0.IsBoot": "true", "Disks.0.Type": "CLOUD_SSD", "Disks.0.Size": 100,
	}
}

func fleetServer(t *testing.T, clk *fakeClock, f Fleet) *Server {
	t.Helper()
	return startServer(t, Config{Now: clk.Now, Fleet: f, Images: []Image{
		{ID: "compshareImage-a", Name: "a"},
		{ID: "compshareImage-making", Name: "making", Total: time.Hour},
	}})
}

func describeInstance1(t *testing.T, s *Server, id string) instanceAnswer {
	t.Helper()
	return instanceCall(t, s, actionInstances, map[string]any{"UHostIds.0": id})
}

func TestInstanceTransitionsOnTheClock(t *testing.T) {
	clk := newClock()
	s := fleetServer(t, clk, Fleet{Initialize: time.Minute, Transition: 10 * time.Second})
	a := instanceCall(t, s, actionCreateInstance, createParams("trainer"))
	if a.RetCode != 0 || len(a.UHostIds) != 1 {
		t.Fatalf("create: %+v", a)
	}
	id := a.UHostIds[0]
	steps := []struct {
		action string
		params map[string]any
		during string
		after  string
	}{
		{"", nil, StateInitializing, StateRunning},
		{actionStopInstance, nil, StateStopping, StateStopped},
		{actionResizeInstance, map[string]any{"Cpu": 32, "Gpu": 4}, StateResizing, StateStopped},
		{actionStartInstance, nil, StateStarting, StateRunning},
		{actionRebootInstance, nil, StateRebooting, StateRunning},
	}
	for _, step := range steps {
		if step.action != "" {
			p := map[string]any{"UHostId": id}
			for k, v := range step.params {
				p[k] = v
			}
			if r := instanceCall(t, s, step.action, p); r.RetCode != 0 {
				t.Fatalf("%s: %+v", step.action, r)
			}
		}
		if got := describeInstance1(t, s, id).UHostSet[0].State; got != step.during {
			t.Errorf("after %s: %q, want %q", step.action, got, step.during)
		}
		// The lock: any change meanwhile is refused as busy.
		if r := instanceCall(t, s, actionStopInstance, map[string]any{"UHostId": id}); r.RetCode != RetCodeInstanceBusy ||
			!strings.Contains(r.Message, "InstanceOperationInProgress") {
			t.Errorf("change during %s: %+v, want busy", step.during, r)
		}
		clk.Add(time.Minute)
		if got := describeInstance1(t, s, id).UHostSet[0].State; got != step.after {
			t.Errorf("%s then: %q, want %q", step.action, got, step.after)
		}
	}
	got := describeInstance1(t, s, id).UHostSet[0]
	if got.CPU != 32 || got.GPU != 4 || got.Memory != 65536 || got.Password != "UGFzc3dvcmQx" || got.ChargeType != "Dynamic" ||
		len(got.DiskSet) != 1 || got.DiskSet[0].IsBoot != "True" || got.DiskSet[0].Size != 100 {
		t.Errorf("instance %+v", got)
	}
}

// Resize, Terminate and Reinstall only when Stopped; Start only when
// Stopped, Stop only when Running; a Spot instance stops only with Force.
func TestInstanceStateRules(t *testing.T) {
	clk := newClock()
	s := fleetServer(t, clk, Fleet{})
	p := createParams("spot")
	p["ChargeType"] = "Spot"
	id := instanceCall(t, s, actionCreateInstance, p).UHostIds[0]
	for _, action := range []string{actionResizeInstance, actionTerminateInst, actionStartInstance} {
		params := map[string]any{"UHostId": id, "Cpu": 8, "CompShareImageId": "compshareImage-a"}
		if r := instanceCall(t, s, action, params); r.RetCode != RetCodeInstanceState {
			t.Errorf("%s while Running: %+v", action, r)
		}
	}
	if r := instanceCall(t, s, actionReinstall, map[string]any{"UHostId": id, "CompShareImageId": "compshareImage-a"}); r.RetCode != RetCodeInstanceState {
		t.Errorf("reinstall while Running: %+v", r)
	}
	if r := instanceCall(t, s, actionStopInstance, map[string]any{"UHostId": id}); r.RetCode != RetCodeInstanceState || !strings.Contains(r.Message, "Force") {
		t.Errorf("Spot stop without Force: %+v", r)
	}
	if r := instanceCall(t, s, actionStopInstance, map[string]any{"UHostId": id, "Force": "true"}); r.RetCode != 0 {
		t.Errorf("Spot stop with Force: %+v", r)
	}
	if r := instanceCall(t, s, actionStopInstance, map[string]any{"UHostId": id, "Force": "true"}); r.RetCode != RetCodeInstanceState {
		t.Errorf("stop while Stopped: %+v", r)
	}
	if r := instanceCall(t, s, actionTerminateInst, map[string]any{"UHostId": id}); r.RetCode != 0 {
		t.Errorf("terminate while Stopped: %+v", r)
	}
	if r := describeInstance1(t, s, id); len(r.UHostSet) != 0 {
		t.Errorf("terminated, still listed: %+v", r)
	}
}

// The refusals of a creation, in the platform's order; none creates anything.
func TestCreateInstanceRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fleet Fleet
		set   map[string]any
		code  int
		words string
	}{
		{"missing GPU type", Fleet{}, map[string]any{"GpuType": ""}, 160, "GpuType"},
		{"memory not a multiple of 1024", Fleet{}, map[string]any{"Memory": 1000}, 230, "Memory"},
		{"too many GPUs", Fleet{}, map[string]any{"GPU": 11}, 230, "GPU"},
		{"unknown charge type", Fleet{}, map[string]any{"ChargeType": "Year"}, 230, "ChargeType"},
		{"no Spot for A800", Fleet{}, map[string]any{"ChargeType": "Spot", "GpuType": "A800"}, 230, "Spot"},
		{"password not base64", Fleet{}, map[string]any{"Password": "plain text!"}, 230, "Password"},
		{"unknown image", Fleet{}, map[string]any{"CompShareImageId": "compshareImage-none"}, 230, "CompShareImageId"},
		{"image not Available", Fleet{}, map[string]any{"CompShareImageId": "compshareImage-making"}, RetCodeImageNotReady, "Making"},
		{"sold out", Fleet{Stock: map[string]int{testZone + "/4090": 1}}, nil, RetCodeSoldOut, "4090"},
		{"quota", Fleet{Quota: 1}, nil, RetCodeQuota, "quota"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Config{Fleet: tc.fleet, Images: []Image{{ID: "compshareImage-a"}, {ID: "compshareImage-making", Total: time.Hour}},
				Instances: []Instance{{ID: "uhost-source"}}})
			p := createParams("x")
			for k, v := range tc.set {
				p[k] = v
			}
			if r := instanceCall(t, s, actionCreateInstance, p); r.RetCode != tc.code || !strings.Contains(r.Message, tc.words) {
				t.Errorf("answer %+v, want RetCode %d saying %q", r, tc.code, tc.words)
			}
			if got := s.Instances(); len(got) != 1 {
				t.Errorf("the platform holds %d instances", len(got))
			}
		})
	}
}

// Stock is per zone and GPU type: creation takes GPUs, termination gives
// them back.
func TestInstanceStock(t *testing.T) {
	s := startServer(t, Config{Fleet: Fleet{Stock: map[string]int{testZone + "/4090": 2}}, Images: []Image{{ID: "compshareImage-a"}}})
	id := instanceCall(t, s, actionCreateInstance, createParams("one")).UHostIds[0]
	if r := instanceCall(t, s, actionCreateInstance, createParams("two")); r.RetCode != RetCodeSoldOut {
		t.Fatalf("second: %+v", r)
	}
	p := createParams("h20")
	p["GpuType"] = "H20"
	if r := instanceCall(t, s, actionCreateInstance, p); r.RetCode != 0 {
		t.Errorf("another GPU type: %+v", r)
	}
	instanceCall(t, s, actionStopInstance, map[string]any{"UHostId": id})
	instanceCall(t, s, actionTerminateInst, map[string]any{"UHostId": id})
	if r := instanceCall(t, s, actionCreateInstance, createParams("three")); r.RetCode != 0 {
		t.Errorf("after termination: %+v", r)
	}
}

// A new id is unknown for a while; a lost answer still creates the instance.
func TestNewInstanceUnknownAndLostAnswer(t *testing.T) {
	clk := newClock()
	s := fleetServer(t, clk, Fleet{UnknownFor: 3 * time.Second})
	s.LoseAnswers(actionCreateInstance, 1)
	resp, _ := call(t, s, signedCreate())
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("HTTP %d, want the answer lost", resp.StatusCode)
	}
	insts := s.Instances()
	if len(insts) != 1 || insts[0].Name != "lost" {
		t.Fatalf("instances %+v", insts)
	}
	id := insts[0].ID
	if r := describeInstance1(t, s, id); len(r.UHostSet) != 0 {
		t.Errorf("listed at once: %+v", r)
	}
	if r := instanceCall(t, s, actionRenameInstance, map[string]any{"UHostId": id, "Name": "n"}); r.RetCode != 230 {
		t.Errorf("rename at once: %+v", r)
	}
	clk.Add(3 * time.Second)
	if r := describeInstance1(t, s, id); len(r.UHostSet) != 1 {
		t.Errorf("not listed later: %+v", r)
	}
	if r := instanceCall(t, s, actionCreateInstance, createParams("next")); r.RetCode != 0 {
		t.Errorf("the next answer is lost too: %+v", r)
	}
}

func signedCreate() map[string]any {
	p := createParams("lost")
	p["Action"], p["Region"], p["Zone"] = actionCreateInstance, testRegion, testZone
	return p
}

func TestInstallFail(t *testing.T) {
	clk := newClock()
	s := fleetServer(t, clk, Fleet{Initialize: time.Second, InstallFail: true})
	id := instanceCall(t, s, actionCreateInstance, createParams("bad")).UHostIds[0]
	clk.Add(time.Second)
	if got := describeInstance1(t, s, id).UHostSet[0].State; got != StateInstallFail {
		t.Errorf("state %q", got)
	}
	if r := instanceCall(t, s, actionTerminateInst, map[string]any{"UHostId": id}); r.RetCode != 0 {
		t.Errorf("a failed install cannot be terminated: %+v", r)
	}
}
