package compshare

import (
	"context"
	"errors"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionRenameInstance renames an instance.
const ActionRenameInstance = "ModifyCompShareInstanceName"

// RenameInstance renames an instance, in any state.
func (c *Client) RenameInstance(ctx context.Context, region, zone, uhostID, name string) error {
	if name == "" {
		return errors.New(ActionRenameInstance + ": the name is empty")
	}
	req := &ucompshare.ModifyCompShareInstanceNameRequest{UHostId: ucloud.String(uhostID), Name: ucloud.String(name)}
	var answer ucompshare.ModifyCompShareInstanceNameResponse
	_, err := c.invoke(ctx, call{action: ActionRenameInstance, region: region, zone: zone, uhostID: uhostID}, req, &answer)
	return err
}
