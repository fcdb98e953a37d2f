package compshare

import (
	"context"
	"encoding/base64"
	"errors"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionResetInstancePassword sets an instance's login password.
const ActionResetInstancePassword = "ResetCompShareInstancePassword"

// ResetInstancePassword sets the instance's login password. password is
// plain text: it is sent base64 encoded, as the API wants, and neither form
// appears in an error, even when the server echoes it.
func (c *Client) ResetInstancePassword(ctx context.Context, region, zone, uhostID, password string) error {
	if password == "" {
		return errors.New(ActionResetInstancePassword + ": the password is empty")
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(password))
	req := &ucompshare.ResetCompShareInstancePasswordRequest{UHostId: ucloud.String(uhostID), Password: ucloud.String(encoded)}
	var answer ucompshare.ResetCompShareInstancePasswordResponse
	cl := call{action: ActionResetInstancePassword, region: region, zone: zone, uhostID: uhostID, secrets: []string{password, encoded}}
	_, err := c.invoke(ctx, cl, req, &answer)
	return err
}
