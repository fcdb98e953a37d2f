package compshare

import (
	"context"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionStartInstance starts a stopped instance.
const ActionStartInstance = "StartCompShareInstance"

// StartInstance starts a Stopped instance: it goes Starting, then Running.
// A held lock is an error for which IsBusy is true.
func (c *Client) StartInstance(ctx context.Context, region, zone, uhostID string) error {
	req := &ucompshare.StartCompShareInstanceRequest{UHostId: ucloud.String(uhostID)}
	var answer ucompshare.StartCompShareInstanceResponse
	_, err := c.invoke(ctx, call{action: ActionStartInstance, region: region, zone: zone, uhostID: uhostID}, req, &answer)
	return err
}
