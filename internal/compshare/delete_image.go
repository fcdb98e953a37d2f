package compshare

import (
	"context"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionDeleteImage deletes a custom image.
const ActionDeleteImage = "TerminateCompShareCustomImage"

// DeleteImage deletes an image (TerminateCompShareCustomImage). The image
// may stay listed for a moment afterwards. An image published to the
// community is refused until it is withdrawn.
func (c *Client) DeleteImage(ctx context.Context, region, zone, imageID string) error {
	req := &ucompshare.TerminateCompShareCustomImageRequest{CompShareImageId: ucloud.String(imageID)}
	var answer ucompshare.TerminateCompShareCustomImageResponse
	_, err := c.invoke(ctx, call{action: ActionDeleteImage, region: region, zone: zone, imageID: imageID}, req, &answer)
	return err
}
