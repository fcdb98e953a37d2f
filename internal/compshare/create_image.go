package compshare

import (
	"context"
	"errors"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// ActionCreateImage starts building a custom image from an instance.
const ActionCreateImage = "CreateCompShareCustomImage"

// NewImage is what CreateImage builds.
type NewImage struct {
	UHostID     string // the source instance, uhost-xxxx
	Name        string // must differ from every other image name of the account
	Description string // optional
}

// CreateImage starts building an image from an instance and returns the new
// image's id (CompShareImageId). The build then runs: read it with
// ImageProgress and ImageStatus, which may not know the new id for a moment.
//
// Starting a build is not idempotent, so a failure is retried only when the
// API surely did not act on the request (HTTP 429 or RetCode 153: IsThrottled); any other error,
// transient or unreadable ones included, may leave a build started: a
// caller must look for the image by name before it tries again.
func (c *Client) CreateImage(ctx context.Context, region, zone string, spec NewImage) (string, error) {
	switch {
	case spec.UHostID == "":
		return "", errors.New(ActionCreateImage + ": the source instance (UHostId) is empty")
	case spec.Name == "":
		return "", errors.New(ActionCreateImage + ": the image name is empty")
	}
	req := &ucompshare.CreateCompShareCustomImageRequest{UHostId: ucloud.String(spec.UHostID), Name: ucloud.String(spec.Name)}
	if spec.Description != "" {
		req.Description = ucloud.String(spec.Description)
	}
	var answer ucompshare.CreateCompShareCustomImageResponse
	cl := call{action: ActionCreateImage, region: region, zone: zone, uhostID: spec.UHostID, onlyRetryRefused: true}
	requestID, err := c.invoke(ctx, cl, req, &answer)
	if err != nil {
		return "", err
	}
	// An id with spaces around it would be sent so by every later call.
	imageID := strings.TrimSpace(answer.CompShareImageId)
	if imageID == "" {
		return "", &Error{Action: ActionCreateImage, UHostID: spec.UHostID, RequestID: requestID, Unreadable: true,
			Message: "the answer has no CompShareImageId: a build may have started; look for an image named " + spec.Name}
	}
	return imageID, nil
}
