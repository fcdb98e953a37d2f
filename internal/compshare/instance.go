package compshare

import (
	"context"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

// ActionDescribeInstance lists instances.
const ActionDescribeInstance = "DescribeCompShareInstance"

// Instance is an instance as DescribeCompShareInstance lists it.
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
	RequestID    string
}

// Instance looks an instance up by UHostId in DescribeCompShareInstance,
// matching the id in any case and paging through the list if the API did
// not apply the filter. An instance the API does not list is an *Error for
// which IsNotFound is true.
func (c *Client) Instance(ctx context.Context, region, zone, uhostID string) (Instance, error) {
	cl := call{action: ActionDescribeInstance, region: region, zone: zone, uhostID: uhostID}
	fetch := func(offset int) (page[instanceEntry], error) {
		var answer describeInstanceResponse
		req := &ucompshare.DescribeCompShareInstanceRequest{UHostIds: []string{uhostID}, Offset: ucloud.Int(offset), Limit: ucloud.Int(PageSize)}
		requestID, err := c.invoke(ctx, cl, req, &answer)
		if err == nil {
			err = checkListAnswer(cl, requestID, &answer)
		}
		return page[instanceEntry]{entries: answer.UHostSet, limit: PageSize, total: answer.TotalCount, requestID: requestID}, err
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
	return Instance{UHostID: string(found.UHostId), Name: found.Name, Zone: found.Zone, State: found.State, InstanceType: found.InstanceType,
		GpuType: found.GpuType, GPU: int(found.GPU.value), RequestID: requestID}, nil
}

// describeInstanceResponse is our own shape of the answer: only what we
// read (the SDK's also carries the instance's password), lenient about
// numbers.
type describeInstanceResponse struct {
	response.CommonBase

	TotalCount optionalNumber
	UHostSet   []instanceEntry
}

type instanceEntry struct {
	UHostId      word
	Name         string
	Zone         string
	State        string
	InstanceType string
	GpuType      string
	GPU          optionalNumber
}
