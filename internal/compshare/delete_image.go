package compshare

import (
	"context"
	"errors"
	"net/http"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionDeleteImage deletes a custom image.
const ActionDeleteImage = "TerminateCompShareCustomImage"

// DeleteImage deletes an image (TerminateCompShareCustomImage). The image
// may stay listed for a moment afterwards. An image published to the
// community is refused until it is withdrawn: an *Error for which
// IsPublished is true. An image already gone is an *Error for which
// IsNotFound is true.
func (c *Client) DeleteImage(ctx context.Context, region, zone, imageID string) error {
	req := &ucompshare.TerminateCompShareCustomImageRequest{CompShareImageId: ucloud.String(imageID)}
	var answer ucompshare.TerminateCompShareCustomImageResponse
	_, err := c.invoke(ctx, call{action: ActionDeleteImage, region: region, zone: zone, imageID: imageID}, req, &answer)
	var e *Error
	if errors.As(err, &e) && refusedDeletion(e) && !IsNotFound(err) {
		// The RetCodes for an image already gone and for a published one
		// are not documented (230 is only likely for the first): the list
		// tells them apart.
		entry, _, lookupErr := c.findImage(ctx, region, zone, imageID)
		switch {
		case IsNotFound(lookupErr):
			e.NotListed = true
		case lookupErr == nil && entry.image().Visibility == 1:
			e.Published = true
		}
	}
	return err
}

// refusedDeletion reports whether the API refused the deletion itself, with
// a RetCode (other than a refused key pair) or an HTTP 4xx, rather than
// failing to answer it (HTTP 5xx, whatever its body says, or 429). Product
// RetCodes are >= 2000, which counts as transient: a gone image's may be one
// of them.
func refusedDeletion(e *Error) bool {
	if e.serverFailed() || e.Status == http.StatusTooManyRequests {
		return false
	}
	return e.RetCode != 0 && e.RetCode != RetCodeSignature || e.RetCode == 0 && e.Status >= http.StatusBadRequest
}
