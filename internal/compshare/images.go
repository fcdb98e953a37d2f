package compshare

import (
	"context"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

// ActionDescribeImages lists custom images with their status; it is the only
// place where a failed build shows.
const ActionDescribeImages = "DescribeCompShareCustomImages"

// StatusFailed is the status of an image whose build failed.
const StatusFailed = "UnAvailable"

// ImageStatus is an image's entry in DescribeCompShareCustomImages.
type ImageStatus struct {
	Status       string // Making, Available, UnAvailable, Reviewing, Offline
	FailedReason string
	RequestID    string
}

// Failed reports whether the platform marked the build failed.
func (s ImageStatus) Failed() bool { return s.Status == StatusFailed }

type describeImagesResponse struct {
	response.CommonBase

	ImageSet []struct {
		CompShareImageId string
		Status           string
		FailedReason     string
	}
}

// ImageStatus looks the image up in DescribeCompShareCustomImages.
func (c *Client) ImageStatus(ctx context.Context, region, zone, imageID string) (ImageStatus, error) {
	var answer describeImagesResponse
	req := &ucompshare.DescribeCompShareCustomImagesRequest{CompShareImageId: ucloud.String(imageID)}
	requestID, err := c.invoke(ctx, call{action: ActionDescribeImages, region: region, zone: zone, imageID: imageID}, req, &answer)
	if err != nil {
		return ImageStatus{}, err
	}
	for _, image := range answer.ImageSet {
		if image.CompShareImageId == imageID {
			return ImageStatus{Status: image.Status, FailedReason: image.FailedReason, RequestID: requestID}, nil
		}
	}
	return ImageStatus{}, &Error{Action: ActionDescribeImages, ImageID: imageID, RequestID: requestID, Message: "the image is not listed"}
}
