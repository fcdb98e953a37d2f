package compshare

import (
	"context"
	"fmt"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
)

// ActionStopInstance stops a running instance.
const ActionStopInstance = "StopCompShareInstance"

// StopInstance stops an instance: it goes Stopping, then Stopped. force
// sends Force=true, which a Spot instance needs (public instance pages); the
// SDK's request has no Force, so it goes through the generic request.
func (c *Client) StopInstance(ctx context.Context, region, zone, uhostID string, force bool) error {
	typed := &ucompshare.StopCompShareInstanceRequest{UHostId: ucloud.String(uhostID)}
	req := request.Common(typed)
	if force {
		form, err := request.EncodeForm(typed)
		if err != nil {
			return fmt.Errorf("%s for instance %q: %w", ActionStopInstance, uhostID, err)
		}
		payload := map[string]any{"Force": "true"}
		for k, v := range form {
			payload[k] = v
		}
		generic := &request.BaseGenericRequest{}
		if err := generic.SetPayload(payload); err != nil {
			return fmt.Errorf("%s for instance %q: %w", ActionStopInstance, uhostID, err)
		}
		req = generic
	}
	var answer ucompshare.StopCompShareInstanceResponse
	_, err := c.invoke(ctx, call{action: ActionStopInstance, region: region, zone: zone, uhostID: uhostID}, req, &answer)
	return err
}
