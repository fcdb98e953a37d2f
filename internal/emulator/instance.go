package emulator

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The instance actions, from ucloud-sdk-go services/ucompshare and
// Compshare's public instance pages.
const (
	actionCreateInstance   = "CreateCompShareInstance"
	actionStartInstance    = "StartCompShareInstance"
	actionStopInstance     = "StopCompShareInstance"
	actionRebootInstance   = "RebootCompShareInstance"
	actionResizeInstance   = "ResizeCompShareInstance"
	actionReinstall        = "ReinstallCompShareInstance"
	actionTerminateInst    = "TerminateCompShareInstance"
	actionResetPassword    = "ResetCompShareInstancePassword"
	actionRenameInstance   = "ModifyCompShareInstanceName"
	defaultInstanceMachine = "G"
)

// Instance states of DescribeCompShareInstance besides Running and Stopped.
const (
	StateInitializing = "Initializing"
	StateStarting     = "Starting"
	StateStopping     = "Stopping"
	StateInstallFail  = "Install Fail"
	StateRebooting    = "Rebooting"
	StateResizing     = "Resizing"
	StateReinstalling = "Reinstalling"
)

// RetCodes of the instance rules the public pages state without a code.
// These are the emulator's inventions; only RetCodeSoldOut (226604, "not
// enough resources") is documented. The client classifies them in one
// place (compshare.Classify), by code and by the words of the message.
const (
	RetCodeSoldOut       = 226604 // documented: not enough resources
	RetCodeInstanceBusy  = 8830   // invented: "InstanceOperationInProgress", a change holds the instance's lock
	RetCodeQuota         = 8831   // invented: the account holds as many instances as its quota allows
	RetCodeImageNotReady = 8832   // invented: the image is not Available
)

// Fleet says how the instances that CreateCompShareInstance makes behave. The
// durations run on the server's clock (Config.Now); zero means at once.
type Fleet struct {
	// Stock is the number of free GPUs per zone and GPU type, keyed
	// "zone/gpu_type" (such as "cn-wlcb-01/4090"); a pair not listed has
	// plenty. Creation takes GPUs, termination gives them back; a request
	// for more than are free is refused as sold out (RetCode 226604).
	Stock map[string]int
	// Quota is how many instances the account may hold (created and not
	// terminated, those of Config.Instances included); 0: no limit.
	Quota int
	// PlatformImages are image ids that are always Available, besides the
	// custom images (the platform's own images).
	PlatformImages []string

	Initialize  time.Duration // Initializing, then Running (or Install Fail)
	Transition  time.Duration // Starting, Stopping, Rebooting, Resizing, Reinstalling
	InstallFail bool          // new instances end Install Fail instead of Running

	// A new instance's id is unknown (to lists, and RetCode 230 to actions
	// naming it) for its first UnknownAnswers answers and during UnknownFor.
	UnknownAnswers int
	UnknownFor     time.Duration
}

// fleet is the server's instance world beyond Config.Instances.
type fleet struct {
	cfg  Fleet
	ops  map[string]*operation // by instance id: the transition running, which holds the lock
	held map[string]time.Time  // by instance id: a lock held until then by something else (the console)
	news map[string]*newness   // by instance id: the unknown window of new instances
	gone map[string]time.Time  // by instance id: terminated; listed until then
	lose map[string]int        // by action: answers still to lose after acting
}

// operation is a transition of an instance: it ends at until in state final,
// after apply changes what the operation changes.
type operation struct {
	until time.Time
	final string
	apply func(*Instance)
}

type newness struct {
	appeared    time.Time
	answersLeft int
	unknownFor  time.Duration
}

// world returns the fleet, made on first use; s.mu must be held.
func (s *Server) world() *fleet {
	if s.fleet == nil {
		s.fleet = &fleet{cfg: s.cfg.Fleet, ops: map[string]*operation{}, held: map[string]time.Time{},
			news: map[string]*newness{}, gone: map[string]time.Time{}, lose: map[string]int{}}
		s.fleet.cfg.Stock = cloneStock(s.cfg.Fleet.Stock)
	}
	return s.fleet
}

func cloneStock(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SetFleet changes how instances behave from now on (see Fleet); the stock
// is replaced as given. Transitions running keep their end.
func (s *Server) SetFleet(f Fleet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world()
	w.cfg = f
	w.cfg.Stock = cloneStock(f.Stock)
}

// HoldLock makes the instance's lock held for d from now, as an operation
// started elsewhere (the console) would: every change is refused as busy
// (RetCode 8830, InstanceOperationInProgress) until then.
func (s *Server) HoldLock(id string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world().held[id] = s.cfg.Now().Add(d)
}

// LoseAnswers makes the next n requests of action lose their answer after
// the server has acted on them: the client gets HTTP 504 from a "gateway",
// as when an answer is lost on the way.
func (s *Server) LoseAnswers(action string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world().lose[action] = n
}

// Instances returns the instances the server lists now (terminated ones
// until they are gone), in their current state.
func (s *Server) Instances() []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.cfg.Now())
	return slices.Clone(s.instances)
}

// loseAnswer reports whether the answer to this request of action is to be
// lost, and if so answers like a gateway that timed out.
func (s *Server) loseAnswer(w http.ResponseWriter, rec *Request, action string) bool {
	s.mu.Lock()
	lost := s.world().lose[action] > 0
	if lost {
		s.fleet.lose[action]--
	}
	s.mu.Unlock()
	if !lost {
		return false
	}
	rec.HTTPStatus = http.StatusGatewayTimeout
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusGatewayTimeout)
	_, _ = io.WriteString(w, "<html><body><h1>504 Gateway Time-out</h1></body></html>\n")
	return true
}

// settle ends the transitions whose time is up and forgets the instances
// whose termination has run its course; s.mu must be held.
func (s *Server) settle(now time.Time) {
	w := s.world()
	for i := range s.instances {
		inst := &s.instances[i]
		if op := w.ops[inst.ID]; op != nil && !now.Before(op.until) {
			if op.apply != nil {
				op.apply(inst)
			}
			inst.State = op.final
			delete(w.ops, inst.ID)
		}
	}
	s.instances = slices.DeleteFunc(s.instances, func(x Instance) bool {
		at, ok := w.gone[x.ID]
		if ok && !now.Before(at.Add(s.cfg.TerminateLinger)) {
			delete(w.gone, x.ID)
			delete(w.news, x.ID)
			return true
		}
		return false
	})
}

// hiddenInstance reports whether a new instance's id is still unknown,
// counting this answer when count is set; s.mu must be held.
func (s *Server) hiddenInstance(id string, now time.Time, count bool) bool {
	n := s.world().news[id]
	if n == nil {
		return false
	}
	hidden := n.answersLeft > 0 || n.unknownFor > 0 && now.Before(n.appeared.Add(n.unknownFor))
	if count {
		n.answersLeft = max(n.answersLeft-1, 0)
	}
	return hidden
}

// locked reports whether a change of the instance is refused as busy, and
// the answer saying so; s.mu must be held.
func (s *Server) locked(action, id string, now time.Time) *reply {
	w := s.world()
	if w.ops[id] == nil && !now.Before(w.held[id]) {
		return nil
	}
	return failure(action, RetCodeInstanceBusy, fmt.Sprintf(
		"InstanceOperationInProgress: instance %s has an operation in progress, try again later", id))
}

// target is the instance a request names by UHostId, if the API knows it
// there now, with the answer to give otherwise; s.mu must be held.
func (s *Server) target(action string, req query, now time.Time) (*Instance, *reply) {
	if r := missing(action, req, "Region", "Zone", "UHostId"); r != nil {
		return nil, r
	}
	s.settle(now)
	id := req.get("UHostId")
	i := slices.IndexFunc(s.instances, func(x Instance) bool { return x.ID == id })
	if i < 0 || !s.instances[i].servedIn(req.get("Region"), req.get("Zone")) || s.hiddenInstance(id, now, true) {
		return nil, failure(action, 230, "Params [UHostId] not available")
	}
	if _, terminated := s.world().gone[id]; terminated {
		return nil, failure(action, 230, "Params [UHostId] not available")
	}
	return &s.instances[i], nil
}

// begin starts a transition of inst to final that ends after d.
func (s *Server) begin(inst *Instance, transitional, final string, d time.Duration, now time.Time, apply func(*Instance)) {
	inst.State = transitional
	s.world().ops[inst.ID] = &operation{until: now.Add(d), final: final, apply: apply}
	if d == 0 {
		s.settle(now)
	}
}

func wrongState(action string, inst *Instance, allowed string) *reply {
	return failure(action, RetCodeInstanceState, fmt.Sprintf("instance %s is %s: %s only when %s", inst.ID, inst.state(), action, allowed))
}

func badParam(action, name string) *reply {
	return failure(action, 230, "Params ["+name+"] not available")
}

// chargeTypes are the values of ChargeType the SDK documents.
var chargeTypes = []string{"Month", "Day", "Dynamic", "Postpay", "Spot"}

// noSpot are the GPU types that the public pages say are not offered as Spot.
var noSpot = []string{"4090_48G", "A800", "H20", "P40", "2080"}

var diskTypes = []string{"CLOUD_SSD", "CLOUD_RSSD", "CLOUD_NORMAL", "LOCAL_NORMAL", "LOCAL_SSD"}

// sizeParams reads CPU (1-64), Memory (MB, a multiple of 1024 in
// [1024, 262144]) and GPU (1-8, 1-10 for 4090) under the given names; an
// absent one is 0 unless required.
func sizeParams(action string, req query, gpuType string, cpuName, memName, gpuName string, required bool) (cpu, mem, gpu int, bad *reply) {
	read := func(name string, ok func(int) bool) (int, *reply) {
		v := req.get(name)
		if v == "" {
			if required {
				return 0, failure(action, 160, "Missing params ["+name+"]")
			}
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || !ok(n) {
			return 0, badParam(action, name)
		}
		return n, nil
	}
	maxGPU := 8
	if gpuType == "4090" {
		maxGPU = 10
	}
	if cpu, bad = read(cpuName, func(n int) bool { return n >= 1 && n <= 64 }); bad != nil {
		return
	}
	if mem, bad = read(memName, func(n int) bool { return n >= 1024 && n <= 262144 && n%1024 == 0 }); bad != nil {
		return
	}
	gpu, bad = read(gpuName, func(n int) bool { return n >= 1 && n <= maxGPU })
	return
}

func stockKey(zone, gpuType string) string { return zone + "/" + gpuType }

// imageReady is the answer when the image cannot be used to create an
// instance now, or nil; s.mu must be held.
func (s *Server) imageReady(action, id string, now time.Time) *reply {
	if slices.Contains(s.world().cfg.PlatformImages, id) {
		return nil
	}
	st := s.state(id)
	if st == nil || !s.known(st, now) || !st.terminated.IsZero() {
		return unknownImage(action)
	}
	if status, _ := st.statusAt(now); status != StatusAvailable {
		return failure(action, RetCodeImageNotReady, fmt.Sprintf("image %s is %s: only an Available image can be used", id, status))
	}
	return nil
}

// createInstance makes one instance, refusing what the platform refuses, in
// its order: parameters, the image, the quota, the stock.
func (s *Server) createInstance(req query, now time.Time) answer {
	const action = actionCreateInstance
	if r := missing(action, req, "Region", "Zone", "GpuType", "GPU", "CPU", "Memory", "MachineType", "CompShareImageId"); r != nil {
		return r
	}
	gpuType := req.get("GpuType")
	cpu, mem, gpu, bad := sizeParams(action, req, gpuType, "CPU", "Memory", "GPU", true)
	if bad != nil {
		return bad
	}
	charge := cmp.Or(req.get("ChargeType"), "Month")
	switch {
	case req.get("MachineType") != defaultInstanceMachine:
		return badParam(action, "MachineType")
	case !slices.Contains(chargeTypes, charge):
		return badParam(action, "ChargeType")
	case charge == "Spot" && slices.Contains(noSpot, gpuType):
		return failure(action, 230, fmt.Sprintf("Params [ChargeType] not available: GPU type %s is not offered as Spot", gpuType))
	case len(req.get("Name")) > 63:
		return badParam(action, "Name")
	}
	password := req.get("Password")
	if password != "" {
		if plain, err := base64.StdEncoding.DecodeString(password); err != nil || len(plain) == 0 {
			return failure(action, 230, "Params [Password] not available: the password must be base64 encoded")
		}
	}
	diskType, diskSize := "CLOUD_SSD", 50
	if req.has("Disks.0.Type") || req.has("Disks.0.Size") || req.has("Disks.0.IsBoot") {
		size, err := strconv.Atoi(req.get("Disks.0.Size"))
		switch {
		case !strings.EqualFold(req.get("Disks.0.IsBoot"), "true"):
			return badParam(action, "Disks.0.IsBoot")
		case !slices.Contains(diskTypes, req.get("Disks.0.Type")):
			return badParam(action, "Disks.0.Type")
		case err != nil || size < 20 || size > 2000:
			return badParam(action, "Disks.0.Size")
		}
		diskType, diskSize = req.get("Disks.0.Type"), size
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	s.settle(now)
	w := s.world()
	if r := s.imageReady(action, req.get("CompShareImageId"), now); r != nil {
		return r
	}
	if live := len(s.instances) - len(w.gone); w.cfg.Quota > 0 && live >= w.cfg.Quota {
		return failure(action, RetCodeQuota, fmt.Sprintf("instance quota reached: the account holds %d of %d instances", live, w.cfg.Quota))
	}
	zone := req.get("Zone")
	key := stockKey(zone, gpuType)
	if free, counted := w.cfg.Stock[key]; counted {
		if free < gpu {
			return failure(action, RetCodeSoldOut, fmt.Sprintf("not enough resources: %d %s GPUs asked, %d free in %s", gpu, gpuType, free, zone))
		}
		w.cfg.Stock[key] = free - gpu
	}
	id := s.newInstanceID()
	inst := Instance{
		ID: id, Name: cmp.Or(req.get("Name"), id), State: StateInitializing, GpuType: gpuType, GPU: gpu,
		Region: req.get("Region"), Zone: zone, CPU: cpu, MemoryMB: mem, ImageID: req.get("CompShareImageId"),
		ChargeType: charge, BootDiskType: diskType, BootDiskSizeGB: diskSize, SecurityGroupID: req.get("SecurityGroupId"),
		IP: fmt.Sprintf("10.9.%d.%d", len(s.instances)/250, len(s.instances)%250+2), Created: now, Password: password,
	}
	s.instances = append(s.instances, inst)
	w.news[id] = &newness{appeared: now, answersLeft: w.cfg.UnknownAnswers, unknownFor: w.cfg.UnknownFor}
	final := StateRunning
	if w.cfg.InstallFail {
		final = StateInstallFail
	}
	s.begin(&s.instances[len(s.instances)-1], StateInitializing, final, w.cfg.Initialize, now, nil)
	return &createInstanceReply{reply: success(action), UHostIds: []string{id}}
}

// newInstanceID returns an id no instance has, like "uhost-3f9a0c12"; s.mu must be held.
func (s *Server) newInstanceID() string {
	for {
		var b [4]byte
		_, _ = rand.Read(b[:])
		id := fmt.Sprintf("uhost-%x", b)
		if !slices.ContainsFunc(s.instances, func(x Instance) bool { return x.ID == id }) {
			return id
		}
	}
}

// change runs the checks every change of an instance shares (it exists,
// its lock is free) and then do; s.mu is taken.
func (s *Server) change(action string, req query, now time.Time, do func(*Instance) answer) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, r := s.target(action, req, now)
	if r != nil {
		return r
	}
	if r := s.locked(action, inst.ID, now); r != nil {
		return r
	}
	return do(inst)
}

func (s *Server) startInstance(req query, now time.Time) answer {
	return s.change(actionStartInstance, req, now, func(inst *Instance) answer {
		if inst.state() != StateStopped {
			return wrongState(actionStartInstance, inst, "Stopped")
		}
		s.begin(inst, StateStarting, StateRunning, s.world().cfg.Transition, now, nil)
		return &instanceReply{reply: success(actionStartInstance), UHostID: inst.ID}
	})
}

// stopInstance stops a Running instance; a Spot instance only with Force
// (public pages).
func (s *Server) stopInstance(req query, now time.Time) answer {
	return s.change(actionStopInstance, req, now, func(inst *Instance) answer {
		switch {
		case inst.state() != StateRunning:
			return wrongState(actionStopInstance, inst, "Running")
		case inst.ChargeType == "Spot" && !strings.EqualFold(req.get("Force"), "true"):
			return failure(actionStopInstance, RetCodeInstanceState, fmt.Sprintf("instance %s is a Spot instance: it stops only with Force=true", inst.ID))
		}
		s.begin(inst, StateStopping, StateStopped, s.world().cfg.Transition, now, nil)
		return &instanceReply{reply: success(actionStopInstance), UHostID: inst.ID}
	})
}

func (s *Server) rebootInstance(req query, now time.Time) answer {
	return s.change(actionRebootInstance, req, now, func(inst *Instance) answer {
		if inst.state() != StateRunning {
			return wrongState(actionRebootInstance, inst, "Running")
		}
		s.begin(inst, StateRebooting, StateRunning, s.world().cfg.Transition, now, nil)
		return &instanceReply{reply: success(actionRebootInstance), UHostID: inst.ID}
	})
}

// resizeInstance changes Cpu, Memory and Gpu, or grows a disk (DiskId and
// DiskSpace), of a Stopped instance.
func (s *Server) resizeInstance(req query, now time.Time) answer {
	const action = actionResizeInstance
	return s.change(action, req, now, func(inst *Instance) answer {
		if inst.state() != StateStopped {
			return wrongState(action, inst, "Stopped")
		}
		cpu, mem, gpu, bad := sizeParams(action, req, inst.GpuType, "Cpu", "Memory", "Gpu", false)
		if bad != nil {
			return bad
		}
		disk := 0
		if req.has("DiskId") || req.has("DiskSpace") {
			n, err := strconv.Atoi(req.get("DiskSpace"))
			switch {
			case req.get("DiskId") != inst.ID+"-boot":
				return badParam(action, "DiskId")
			case err != nil || n <= inst.BootDiskSizeGB:
				return failure(action, 230, "Params [DiskSpace] not available: a disk only grows")
			}
			disk = n
		}
		if cpu == 0 && mem == 0 && gpu == 0 && disk == 0 {
			return failure(action, 160, "Missing params [Cpu/Memory/Gpu or DiskId/DiskSpace]")
		}
		w := s.world()
		if key := stockKey(inst.Zone, inst.GpuType); gpu > inst.GPU {
			if free, counted := w.cfg.Stock[key]; counted {
				if free < gpu-inst.GPU {
					return failure(action, RetCodeSoldOut, fmt.Sprintf("not enough resources: %d more %s GPUs asked, %d free in %s", gpu-inst.GPU, inst.GpuType, free, inst.Zone))
				}
				w.cfg.Stock[key] = free - (gpu - inst.GPU)
			}
		} else if free, counted := w.cfg.Stock[key]; counted && gpu > 0 {
			w.cfg.Stock[key] = free + inst.GPU - gpu
		}
		s.begin(inst, StateResizing, StateStopped, w.cfg.Transition, now, func(x *Instance) {
			x.CPU, x.MemoryMB, x.GPU, x.BootDiskSizeGB = cmp.Or(cpu, x.CPU), cmp.Or(mem, x.MemoryMB), cmp.Or(gpu, x.GPU), cmp.Or(disk, x.BootDiskSizeGB)
		})
		return &instanceReply{reply: success(action), UHostID: inst.ID}
	})
}

// reinstallInstance puts a new system on a Stopped instance; it boots after.
func (s *Server) reinstallInstance(req query, now time.Time) answer {
	const action = actionReinstall
	if r := missing(action, req, "CompShareImageId"); r != nil {
		return r
	}
	return s.change(action, req, now, func(inst *Instance) answer {
		if inst.state() != StateStopped {
			return wrongState(action, inst, "Stopped")
		}
		image := req.get("CompShareImageId")
		if r := s.imageReady(action, image, now); r != nil {
			return r
		}
		password := cmp.Or(req.get("Password"), inst.Password)
		s.begin(inst, StateReinstalling, StateRunning, s.world().cfg.Transition, now, func(x *Instance) { x.ImageID, x.Password = image, password })
		return &instanceReply{reply: success(action), UHostID: inst.ID}
	})
}

// terminateInstance deletes a Stopped (or failed) instance: it stays listed
// for Config.TerminateLinger, then is gone; its GPUs go back to the stock.
func (s *Server) terminateInstance(req query, now time.Time) answer {
	const action = actionTerminateInst
	return s.change(action, req, now, func(inst *Instance) answer {
		if st := inst.state(); st != StateStopped && st != StateInstallFail {
			return wrongState(action, inst, "Stopped")
		}
		w := s.world()
		if free, counted := w.cfg.Stock[stockKey(inst.Zone, inst.GpuType)]; counted {
			w.cfg.Stock[stockKey(inst.Zone, inst.GpuType)] = free + inst.GPU
		}
		w.gone[inst.ID] = now
		s.settle(now)
		return &instanceReply{reply: success(action), UHostID: inst.ID}
	})
}

func (s *Server) resetPassword(req query, now time.Time) answer {
	const action = actionResetPassword
	if r := missing(action, req, "Password"); r != nil {
		return r
	}
	if plain, err := base64.StdEncoding.DecodeString(req.get("Password")); err != nil || len(plain) == 0 {
		return failure(action, 230, "Params [Password] not available: the password must be base64 encoded")
	}
	return s.change(action, req, now, func(inst *Instance) answer {
		inst.Password = req.get("Password")
		return &instanceReply{reply: success(action), UHostID: inst.ID}
	})
}

// renameInstance renames an instance in any state: a name takes no lock.
func (s *Server) renameInstance(req query, now time.Time) answer {
	const action = actionRenameInstance
	if r := missing(action, req, "Name"); r != nil {
		return r
	}
	if len(req.get("Name")) > 63 {
		return badParam(action, "Name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, r := s.target(action, req, now)
	if r != nil {
		return r
	}
	inst.Name = req.get("Name")
	return &instanceReply{reply: success(action), UHostID: inst.ID}
}

// describeInstances lists the instances there, those named by UHostIds.N if
// any; a new id is left out while it is unknown.
func (s *Server) describeInstances(req query, now time.Time) answer {
	if r := missing(actionInstances, req, "Region", "Zone"); r != nil {
		return r
	}
	offset, limit, bad := page(actionInstances, req)
	if bad != nil {
		return bad
	}
	ids := req.lists["UHostIds"]
	s.mu.Lock()
	s.settle(now)
	items := []instanceItem{} // [] rather than null when empty
	for _, inst := range s.instances {
		if !inst.servedIn(req.get("Region"), req.get("Zone")) || len(ids) > 0 && !slices.Contains(ids, inst.ID) ||
			s.hiddenInstance(inst.ID, now, len(ids) > 0) {
			continue
		}
		items = append(items, describeInstance(inst, req.get("Zone")))
	}
	s.mu.Unlock()
	total := len(items)
	return &instancesReply{reply: success(actionInstances), TotalCount: total, UHostSet: window(items, offset, limit)}
}

func describeInstance(inst Instance, zone string) instanceItem {
	item := instanceItem{
		UHostID: inst.ID, Name: cmp.Or(inst.Name, inst.ID), State: inst.state(),
		GpuType: inst.GpuType, GPU: inst.GPU, Zone: cmp.Or(inst.Zone, zone),
		CPU: inst.CPU, Memory: inst.MemoryMB, CompShareImageID: inst.ImageID, ChargeType: inst.ChargeType,
		MachineType: defaultInstanceMachine, InstanceType: "UHost", Password: inst.Password,
		IPSet: []instanceIP{}, DiskSet: []instanceDisk{},
	}
	if inst.Container {
		item.InstanceType = "Container"
	}
	if !inst.Created.IsZero() {
		item.CreateTime = inst.Created.Unix()
		if inst.ChargeType == "Month" || inst.ChargeType == "Day" {
			item.ExpireTime = inst.Created.AddDate(0, 1, 0).Unix()
		}
	}
	if inst.IP != "" {
		item.IPSet = append(item.IPSet, instanceIP{IP: inst.IP, Type: "Private", Default: "true"})
	}
	if inst.BootDiskType != "" {
		item.DiskSet = append(item.DiskSet, instanceDisk{DiskID: inst.ID + "-boot", DiskType: inst.BootDiskType, IsBoot: "True", Size: inst.BootDiskSizeGB})
	}
	return item
}
