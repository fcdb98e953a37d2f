package compshare

import (
	"context"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionTerminateInstance deletes an instance.
const ActionTerminateInstance = "TerminateCompShareInstance"

// TerminateInstance deletes a Stopped instance (refused in any other
// state). It may stay listed for a moment afterwards. An instance already
// gone is an error for which IsNotFound may be true (RetCode 230 naming
// UHostId).
func (c *Client) TerminateInstance(ctx context.Context, region, zone, uhostID string) error {
	req := &ucompshare.TerminateCompShareInstanceRequest{UHostId: ucloud.String(uhostID)}
	var answer ucompshare.TerminateCompShareInstanceResponse
	_, err := c.invoke(ctx, call{action: ActionTerminateInstance, region: region, zone: zone, uhostID: uhostID}, req, &answer)
	return err
}
