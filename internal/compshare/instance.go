package compshare

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

// ActionDescribeInstance lists instances.
const ActionDescribeInstance = "DescribeCompShareInstance"

// Instance states as DescribeCompShareInstance spells them (the SDK's
// CompShareInstanceSet.State). The API also answers "" when it could not
// read the state; pages show Install, and UCloud's CLI counts Pending and
// Reinstalling as in progress.
const (
	StateInitializing = "Initializing"
	StateStarting     = "Starting"
	StateRunning      = "Running"
	StateStopping     = "Stopping"
	StateStopped      = "Stopped"
	StateInstallFail  = "Install Fail"
	StateRebooting    = "Rebooting"
	StateResizing     = "Resizing"
)

// Instance is an instance as DescribeCompShareInstance lists it. It has no
// password: the API answers it (base64), and this client never decodes it.
type Instance struct {
	UHostID string
	Name    string
	Zone    string
	// State as the API spells it: Initializing, Starting, Running,
	// Stopping, Stopped, Install Fail, Rebooting, Resizing, "" (unknown).
	State string
	// InstanceType is UHost (a VM) or Container.
	InstanceType string
	GpuType      string // such as 4090
	GPU          int    // how many GPUs
	CPU          int    // cores
	MemoryMB     int
	ImageID      string // CompShareImageId the instance was created (or reinstalled) from
	ChargeType   string // Month, Day, Dynamic, Postpay, Spot, ...
	MachineType  string
	IPs          []InstanceIP
	Disks        []InstanceDisk
	CreatedAt    time.Time // from CreateTime (Unix seconds), UTC; zero when absent
	ExpiresAt    time.Time // from ExpireTime (Unix seconds), UTC; zero when absent
	RequestID    string
}

// InstanceIP is an address of an instance (the SDK's UHostIPSet).
type InstanceIP struct {
	IP   string
	Type string // such as Private, International, BGP
}

// InstanceDisk is a disk of an instance (the SDK's UHostDiskSet).
type InstanceDisk struct {
	ID     string // DiskId
	Type   string // DiskType, such as CLOUD_SSD
	IsBoot bool   // the API's "True" / "False"
	SizeGB int
}

// BootDisk returns the instance's boot disk, or false when it lists none.
func (inst Instance) BootDisk() (InstanceDisk, bool) {
	for _, d := range inst.Disks {
		if d.IsBoot {
			return d, true
		}
	}
	return InstanceDisk{}, false
}

// Instance looks an instance up by UHostId in DescribeCompShareInstance,
// matching the id in any case and paging through the list if the API did
// not apply the filter. An instance the API does not list is an *Error for
// which IsNotFound is true.
func (c *Client) Instance(ctx context.Context, region, zone, uhostID string) (Instance, error) {
	cl := call{action: ActionDescribeInstance, region: region, zone: zone, uhostID: uhostID}
	fetch := func(offset int) (page[instanceEntry], error) {
		return c.describeInstances(ctx, cl, []string{uhostID}, offset, PageSize)
	}
	found, requestID, err := findInPages(fetch, func(e instanceEntry) string { return string(e.UHostId) }, uhostID)
	if err != nil {
		return Instance{}, err
	}
	if found == nil {
		e := cl.error(requestID, "the API does not list the instance")
		e.NotListed = true
		return Instance{}, e
	}
	inst := found.instance()
	inst.RequestID = requestID
	return inst, nil
}

// Instances lists every instance of the account in region and zone, a
// hundred a page. An instance that moves between pages while they are read
// is listed once, or may be missed.
func (c *Client) Instances(ctx context.Context, region, zone string) ([]Instance, error) {
	cl := call{action: ActionDescribeInstance, region: region, zone: zone}
	var out []Instance
	err := walkPages(func(offset int) (page[instanceEntry], error) {
		return c.describeInstances(ctx, cl, nil, offset, PageSize)
	},
		func(e instanceEntry) string { return string(e.UHostId) },
		func(entries []instanceEntry, _ string) bool {
			for _, e := range entries {
				// The API lists every zone of the region when it ignores Zone.
				if inst := e.instance(); inst.Zone == "" || strings.EqualFold(inst.Zone, zone) {
					out = append(out, inst)
				}
			}
			return true
		})
	return out, err
}

// InstancesNamed lists the instances in region and zone named name
// exactly. Instance names need not be unique: the caller decides what
// several mean.
func (c *Client) InstancesNamed(ctx context.Context, region, zone, name string) ([]Instance, error) {
	all, err := c.Instances(ctx, region, zone)
	var named []Instance
	for _, inst := range all {
		if inst.Name == name {
			named = append(named, inst)
		}
	}
	return named, err
}

func (c *Client) describeInstances(ctx context.Context, cl call, ids []string, offset, limit int) (page[instanceEntry], error) {
	var answer describeInstanceResponse
	req := &ucompshare.DescribeCompShareInstanceRequest{UHostIds: ids, Offset: ucloud.Int(offset), Limit: ucloud.Int(limit)}
	requestID, err := c.invoke(ctx, cl, req, &answer)
	if err == nil {
		err = checkListAnswer(cl, requestID, &answer)
	}
	return page[instanceEntry]{entries: answer.UHostSet, limit: limit, total: answer.TotalCount, requestID: requestID}, err
}

// describeInstanceResponse is our own shape of the answer: only what we
// read, lenient about numbers. It has no Password field on purpose: the
// SDK's CompShareInstanceSet carries the instance's password (base64), and
// what is never decoded cannot leak into state, logs or errors.
type describeInstanceResponse struct {
	response.CommonBase

	TotalCount optionalNumber
	UHostSet   []instanceEntry
}

type instanceEntry struct {
	UHostId          word
	Name             string
	Zone             string
	State            word
	InstanceType     string
	GpuType          string
	GPU              optionalNumber
	CPU              optionalNumber
	Memory           optionalNumber
	CompShareImageId word
	ChargeType       string
	MachineType      string
	CreateTime       optionalNumber
	ExpireTime       optionalNumber
	IPSet            []struct {
		IP   string
		Type string
	}
	DiskSet []struct {
		DiskId   string
		DiskType string
		IsBoot   flexBool
		Size     optionalNumber
	}
}

func (e instanceEntry) instance() Instance {
	inst := Instance{
		UHostID: string(e.UHostId), Name: e.Name, Zone: e.Zone, State: string(e.State), InstanceType: e.InstanceType,
		GpuType: e.GpuType, GPU: int(e.GPU.value), CPU: int(e.CPU.value), MemoryMB: int(e.Memory.value),
		ImageID: string(e.CompShareImageId), ChargeType: e.ChargeType, MachineType: e.MachineType,
		CreatedAt: unixTime(e.CreateTime), ExpiresAt: unixTime(e.ExpireTime),
	}
	for _, ip := range e.IPSet {
		inst.IPs = append(inst.IPs, InstanceIP{IP: ip.IP, Type: ip.Type})
	}
	for _, d := range e.DiskSet {
		inst.Disks = append(inst.Disks, InstanceDisk{ID: d.DiskId, Type: d.DiskType, IsBoot: bool(d.IsBoot), SizeGB: int(d.Size.value)})
	}
	return inst
}

func unixTime(n optionalNumber) time.Time {
	if !n.present || n.value <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(n.value), 0).UTC()
}

// flexBool reads the API's "True"/"False" strings (any case) and JSON
// booleans alike.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(strings.TrimSpace(string(data)), `"`)
	switch strings.ToLower(s) {
	case "true":
		*b = true
	case "false", "", "null":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", data)
	}
	return nil
}
