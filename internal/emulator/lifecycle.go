package emulator

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Instance is a Compshare instance (a UHost): a source of images, and what
// CreateCompShareInstance makes (see instance.go for its lifecycle).
type Instance struct {
	ID        string `json:"id"`                  // UHostId, such as "uhost-xxxx"
	Name      string `json:"name,omitempty"`      // empty: the ID
	State     string `json:"state,omitempty"`     // Running (default), Stopped, Starting, Stopping, Install, Rebooting, ...
	GpuType   string `json:"gpu_type,omitempty"`  // such as "4090"; the SourceGpuType of its images
	GPU       int    `json:"gpu,omitempty"`       // number of GPUs
	Container bool   `json:"container,omitempty"` // runs a container image (imaged only while Running); else a VM image (Running or Stopped)
	Region    string `json:"region,omitempty"`    // empty: DefaultRegion
	Zone      string `json:"zone,omitempty"`      // empty: the region's zone (DefaultZone)

	CPU             int       `json:"cpu,omitempty"`
	MemoryMB        int       `json:"memory_mb,omitempty"`
	ImageID         string    `json:"image_id,omitempty"`    // CompShareImageId it runs
	ChargeType      string    `json:"charge_type,omitempty"` // Month, Day, Dynamic, Postpay, Spot
	BootDiskType    string    `json:"boot_disk_type,omitempty"`
	BootDiskSizeGB  int       `json:"boot_disk_size_gb,omitempty"`
	SecurityGroupID string    `json:"security_group_id,omitempty"`
	IP              string    `json:"ip,omitempty"`
	Created         time.Time `json:"created,omitzero"`
	// Password is the login password as the API keeps and answers it: base64.
	Password string `json:"password,omitempty"`
}

// Instance states that matter to builds.
const (
	StateRunning = "Running"
	StateStopped = "Stopped"
)

// RetCodes of the platform's refusals of the image lifecycle actions. These are
// modelled, not documented: the public API pages state the rules but not their codes.
// All are >= 2000, which the SDK retries on retryable actions (Update, Terminate).
const (
	RetCodeBuildRunning   = 8801 // CreateCompShareCustomImage: the instance already has an image being made
	RetCodeInstanceState  = 8802 // CreateCompShareCustomImage: the instance's state does not allow a build
	RetCodeImagePublished = 8803 // TerminateCompShareCustomImage: the image is published to the community (Visibility 1)
)

func (inst Instance) validate(sv served) error {
	switch {
	case inst.ID == "":
		return errors.New("instance without id")
	case inst.GPU < 0:
		return fmt.Errorf("instance %q: negative gpu", inst.ID)
	}
	return sv.checkLocation(fmt.Sprintf("instance %q", inst.ID), inst.Region, inst.Zone)
}

func (inst Instance) servedIn(region, zone string) bool {
	return locatedIn(inst.Region, inst.Zone, region, zone)
}

func (inst Instance) state() string {
	if inst.State == "" {
		return StateRunning
	}
	return inst.State
}

// SetInstance adds inst, or replaces the instance with the same ID (to change its
// state, for example). An invalid instance is a programming error: SetInstance panics.
func (s *Server) SetInstance(inst Instance) {
	if err := inst.validate(s.served); err != nil {
		panic("emulator: SetInstance: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.instances, func(x Instance) bool { return x.ID == inst.ID }); i >= 0 {
		s.instances[i] = inst
	} else {
		s.instances = append(s.instances, inst)
	}
}

// live are the images neither terminated nor gone; s.mu must be held.
func (s *Server) live() []*imageState {
	return slices.DeleteFunc(slices.Clone(s.images), func(x *imageState) bool { return !x.terminated.IsZero() })
}

// nameTaken is the id of a live image other than except named name, or ""; s.mu must be held.
func (s *Server) nameTaken(name, except string) string {
	for _, st := range s.live() {
		if st.ID != except && st.name() == name {
			return st.ID
		}
	}
	return ""
}

func nameRefused(action, name, owner string) *reply {
	return failure(action, 230, fmt.Sprintf("Params [Name] not available: image name %q is already used by %s", name, owner))
}

// create starts a build from an instance, following the platform's rules: the
// instance must exist there, the name must be free, a container instance must be
// Running (a VM instance Running or Stopped), and the instance must not already have
// a build being made.
func (s *Server) create(req query, now time.Time) answer {
	if r := missing(actionCreate, req, "Region", "Zone", "UHostId", "Name"); r != nil {
		return r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	s.settle(now)
	id, name := req.get("UHostId"), req.get("Name")
	i := slices.IndexFunc(s.instances, func(x Instance) bool { return x.ID == id })
	if i < 0 || !s.instances[i].servedIn(req.get("Region"), req.get("Zone")) {
		return failure(actionCreate, 230, "Params [UHostId] not available")
	}
	inst := s.instances[i]
	if owner := s.nameTaken(name, ""); owner != "" {
		return nameRefused(actionCreate, name, owner)
	}
	switch state := inst.state(); {
	case inst.Container && state != StateRunning:
		return failure(actionCreate, RetCodeInstanceState, fmt.Sprintf(
			"instance %s runs a container image and is %s: it can be imaged only while Running", id, state))
	case state != StateRunning && state != StateStopped:
		return failure(actionCreate, RetCodeInstanceState, fmt.Sprintf(
			"instance %s is %s: it can be imaged only while Running or Stopped", id, state))
	}
	for _, st := range s.live() {
		if status, _ := st.statusAt(now); st.UHostID == id && status == StatusMaking {
			return failure(actionCreate, RetCodeBuildRunning, fmt.Sprintf(
				"instance %s already has an image being made (%s): one build per instance at a time", id, st.ID))
		}
	}

	img := s.newBuild
	img.ID, img.Name, img.Description = s.newImageID(), name, req.get("Description")
	img.Region, img.Zone, img.Start = req.get("Region"), req.get("Zone"), time.Time{}
	img.UHostID, img.Container, img.SourceGpuType = id, inst.Container, inst.GpuType
	img.Tags = slices.Clone(img.Tags)
	s.images = append(s.images, s.appeared(img))
	return &createReply{reply: success(actionCreate), CompShareImageID: img.ID}
}

// newImageID returns an id no image has, like "compshareImage-3f9a0c12b4"; s.mu must be held.
func (s *Server) newImageID() string {
	for {
		var b [5]byte
		_, _ = rand.Read(b[:])
		id := fmt.Sprintf("compshareImage-%x", b)
		if !slices.ContainsFunc(s.images, func(x *imageState) bool { return x.ID == id }) {
			return id
		}
	}
}

// update changes an image's Name (unique), Description, Tags and Visibility:
// those sent, and only those.
func (s *Server) update(req query, now time.Time) answer {
	if r := missing(actionUpdate, req, "Region", "Zone", "CompShareImageId"); r != nil {
		return r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.named(req, now)
	if st == nil {
		return unknownImage(actionUpdate)
	}
	changed := st.Image
	if req.has("Name") {
		name := req.get("Name")
		if name == "" {
			return failure(actionUpdate, 230, "Params [Name] not available")
		}
		if owner := s.nameTaken(name, st.ID); owner != "" {
			return nameRefused(actionUpdate, name, owner)
		}
		changed.Name = name
	}
	if req.has("Description") {
		changed.Description = req.get("Description")
	}
	if tags, ok := req.lists["Tags"]; ok {
		changed.Tags = slices.Clone(tags)
	}
	if req.has("Visibility") {
		switch v := req.get("Visibility"); v {
		case "0", "1":
			changed.Visibility = int(v[0] - '0')
		default:
			return failure(actionUpdate, 230, "Params [Visibility] not available")
		}
	}
	st.Image = changed
	return &reply{Action: actionUpdate + "Response"}
}

// terminate deletes an image: it stays listed for TerminateLinger, then is gone.
// A second termination meanwhile succeeds again.
func (s *Server) terminate(req query, now time.Time) answer {
	if r := missing(actionTerminate, req, "Region", "Zone", "CompShareImageId"); r != nil {
		return r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.named(req, now)
	switch {
	case st == nil:
		return unknownImage(actionTerminate)
	case st.Visibility == 1:
		return failure(actionTerminate, RetCodeImagePublished, fmt.Sprintf(
			"image %s is published to the community (Visibility 1): withdraw it (Visibility 0) before deleting it", st.ID))
	case st.terminated.IsZero():
		st.terminated = now
		s.prune(now)
	}
	return &reply{Action: actionTerminate + "Response"}
}
