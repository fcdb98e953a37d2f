package compshare

import (
	"context"
	"errors"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionResizeInstance changes an instance's CPU, memory or GPU count.
const ActionResizeInstance = "ResizeCompShareInstance"

// InstanceSize is what ResizeInstance changes; 0 leaves a value as it is.
type InstanceSize struct {
	CPU, MemoryMB, GPU int
}

// ResizeInstance changes a Stopped instance's CPU, memory or GPU count (it
// is refused in any other state): it goes Resizing, then Stopped again.
func (c *Client) ResizeInstance(ctx context.Context, region, zone, uhostID string, size InstanceSize) error {
	if size == (InstanceSize{}) {
		return errors.New(ActionResizeInstance + ": nothing to change")
	}
	req := &ucompshare.ResizeCompShareInstanceRequest{UHostId: ucloud.String(uhostID)}
	if size.CPU > 0 {
		req.Cpu = ucloud.Int(size.CPU)
	}
	if size.MemoryMB > 0 {
		req.Memory = ucloud.Int(size.MemoryMB)
	}
	if size.GPU > 0 {
		req.Gpu = ucloud.Int(size.GPU)
	}
	var answer ucompshare.ResizeCompShareInstanceResponse
	_, err := c.invoke(ctx, call{action: ActionResizeInstance, region: region, zone: zone, uhostID: uhostID}, req, &answer)
	return err
}
