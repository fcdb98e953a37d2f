package compshare

import (
	"context"
	"fmt"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
)

// ActionUpdateImage changes an image's metadata.
const ActionUpdateImage = "UpdateCompShareImage"

// ImageUpdate says what UpdateImage changes; a nil field stays as it is.
// The SDK sends no empty value, so a name, a description or tags cannot be
// set to nothing: UpdateImage refuses that rather than change nothing.
type ImageUpdate struct {
	Name        *string
	Description *string
	Tags        []string
}

// UpdateImage renames an image and changes its description and tags; the
// image is not rebuilt.
func (c *Client) UpdateImage(ctx context.Context, region, zone, imageID string, u ImageUpdate) error {
	for _, f := range []struct {
		what  string
		empty bool
	}{
		{"name", u.Name != nil && *u.Name == ""},
		{"description", u.Description != nil && *u.Description == ""},
		{"tags", u.Tags != nil && len(u.Tags) == 0},
	} {
		if f.empty {
			return fmt.Errorf("%s for image %q: the %s cannot be set to nothing (the API receives no empty values)", ActionUpdateImage, imageID, f.what)
		}
	}
	if u.Name == nil && u.Description == nil && u.Tags == nil {
		return nil
	}
	typed := &ucompshare.UpdateCompShareImageRequest{CompShareImageId: ucloud.String(imageID), Description: u.Description, Tags: u.Tags}
	req := request.Common(typed)
	if u.Name != nil {
		// The SDK's request has no Name: send its fields, as the SDK
		// encodes them, and Name through the generic request.
		form, err := request.EncodeForm(typed)
		if err != nil {
			return fmt.Errorf("%s for image %q: %w", ActionUpdateImage, imageID, err)
		}
		payload := map[string]any{"Name": *u.Name}
		for k, v := range form {
			payload[k] = v
		}
		generic := &request.BaseGenericRequest{}
		if err := generic.SetPayload(payload); err != nil {
			return fmt.Errorf("%s for image %q: %w", ActionUpdateImage, imageID, err)
		}
		req = generic
	}
	var answer ucompshare.UpdateCompShareImageResponse
	_, err := c.invoke(ctx, call{action: ActionUpdateImage, region: region, zone: zone, imageID: imageID}, req, &answer)
	return err
}
