package compshare

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionCreateInstance creates GPU instances.
const ActionCreateInstance = "CreateCompShareInstance"

// DefaultMachineType is the machine type of GPU instances (the SDK's
// MachineType "G"; the public pages no longer list the parameter).
const DefaultMachineType = "G"

// NewInstance is what CreateInstance creates: one instance.
type NewInstance struct {
	ImageID  string // CompShareImageId; the image must be Available
	GpuType  string // such as 4090
	GPU      int    // how many GPUs
	CPU      int    // cores
	MemoryMB int    // a multiple of 1024
	// BootDiskType (CLOUD_SSD, CLOUD_RSSD, ...) and BootDiskSizeGB: both or
	// neither (the platform's default disk).
	BootDiskType    string
	BootDiskSizeGB  int
	ChargeType      string // Month, Day, Dynamic, Postpay, Spot; "" for the API's default (Month)
	Name            string // how a lost answer is recovered: make it unique
	SecurityGroupID string // optional
	// Password is the login password in plain text; it is sent base64
	// encoded, as the API wants, and never appears in an error.
	Password string
}

// CreateInstance creates one instance and returns its id (UHostId). An
// answer with no id, or with several, is an *Error for which AnswerLost is
// true: look for the instance by name. The
// instance then goes Initializing, then Running or Install Fail; the other
// actions may not know the new id for a moment.
//
// Creating an instance is not idempotent and a duplicate GPU instance costs
// money: the SDK marks the action not retryable, and this client retries it
// only when the API surely did not act on it (HTTP 429, refused before it
// is read). Any other failure may have created the instance: the caller
// must look for it by name (InstancesNamed) before it tries again.
func (c *Client) CreateInstance(ctx context.Context, region, zone string, spec NewInstance) (string, error) {
	switch {
	case spec.ImageID == "":
		return "", errors.New(ActionCreateInstance + ": the image (CompShareImageId) is empty")
	case spec.GpuType == "":
		return "", errors.New(ActionCreateInstance + ": the GPU type is empty")
	case spec.Name == "":
		return "", errors.New(ActionCreateInstance + ": the name is empty: a lost answer could not be recovered by it")
	case (spec.BootDiskType == "") != (spec.BootDiskSizeGB == 0):
		return "", errors.New(ActionCreateInstance + ": the boot disk needs both a type and a size")
	}
	req := &ucompshare.CreateCompShareInstanceRequest{
		CompShareImageId: ucloud.String(spec.ImageID),
		GpuType:          ucloud.String(spec.GpuType),
		GPU:              ucloud.Int(spec.GPU),
		CPU:              ucloud.Int(spec.CPU),
		Memory:           ucloud.Int(spec.MemoryMB),
		MachineType:      ucloud.String(DefaultMachineType),
		Name:             ucloud.String(spec.Name),
	}
	if spec.ChargeType != "" {
		req.ChargeType = ucloud.String(spec.ChargeType)
	}
	if spec.SecurityGroupID != "" {
		req.SecurityGroupId = ucloud.String(spec.SecurityGroupID)
	}
	if spec.BootDiskType != "" {
		req.Disks = []ucompshare.CreateCompShareInstanceParamDisks{
			{IsBoot: ucloud.Bool(true), Type: ucloud.String(spec.BootDiskType), Size: ucloud.Int(spec.BootDiskSizeGB)},
		}
	}
	cl := call{action: ActionCreateInstance, region: region, zone: zone, onlyRetryRefused: true}
	if spec.Password != "" {
		encoded := base64.StdEncoding.EncodeToString([]byte(spec.Password))
		req.Password = ucloud.String(encoded)
		cl.secrets = []string{spec.Password, encoded}
	}
	var answer ucompshare.CreateCompShareInstanceResponse
	requestID, err := c.invoke(ctx, cl, req, &answer)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, id := range answer.UHostIds {
		// An id with spaces around it would be sent so by every later call.
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch len(ids) {
	case 0:
		return "", &Error{Action: ActionCreateInstance, Region: region, Zone: zone, RequestID: requestID, Unreadable: true,
			Message: "the answer has no UHostIds: an instance may have been created; look for an instance named " + spec.Name}
	case 1:
		return ids[0], nil
	}
	// More than the one instance asked for: the first alone would leave the
	// others, paid, unknown to the caller, who looks them up by name instead.
	return "", &Error{Action: ActionCreateInstance, Region: region, Zone: zone, RequestID: requestID, Unreadable: true,
		Message: "the answer has " + strconv.Itoa(len(ids)) + " UHostIds for one instance (" + strings.Join(ids, ", ") +
			"): look for the instances named " + spec.Name}
}
