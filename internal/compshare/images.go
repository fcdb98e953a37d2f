package compshare

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

// ActionDescribeImages lists custom images with their status; it is the only
// place where a failed build shows.
const ActionDescribeImages = "DescribeCompShareCustomImages"

// Status words of DescribeCompShareCustomImages, as the API spells them.
const (
	StatusMaking    = "Making"      // being built
	StatusAvailable = "Available"   // usable
	StatusFailed    = "UnAvailable" // the build failed, or the image is unusable
	StatusReviewing = "Reviewing"   // under review after publishing
	StatusOffline   = "Offline"     // taken down
)

// ImageStatus is an image's entry in DescribeCompShareCustomImages.
type ImageStatus struct {
	Status       string // as the API spells it: Making, Available, UnAvailable, Reviewing, Offline
	FailedReason string
	RequestID    string
}

// Image is a custom image as DescribeCompShareCustomImages lists it.
type Image struct {
	ID           string // CompShareImageId
	Name         string
	Description  string
	Status       string // as the API spells it: Making, Available, UnAvailable, Reviewing, Offline
	FailedReason string // why a build failed
	SizeMB       int64
	CreatedAt    time.Time // from CreateTime (Unix seconds), in UTC; zero when the API sent none
	// Container is true for a container image, false for a VM image (the
	// API's "True" or "False").
	Container     bool
	SourceGpuType string // the GPU type of the instance it was built from
	Tags          []string
	Visibility    int    // 0 private, 1 public in the community
	ImageType     string // System, App, Custom, Community
}

// ImageStatus looks the image up in DescribeCompShareCustomImages and
// returns its Status and FailedReason as the API spells them; lookups of
// several images of a zone close together share one call (see
// shared_lookups.go). An image the API does not list is an *Error for which
// IsNotFound is true.
func (c *Client) ImageStatus(ctx context.Context, region, zone, imageID string) (ImageStatus, error) {
	entry, requestID, err := c.lookUpImage(ctx, region, zone, imageID)
	if err != nil {
		return ImageStatus{}, err
	}
	return ImageStatus{Status: string(entry.Status), FailedReason: entry.FailedReason, RequestID: requestID}, nil
}

// Image looks one image up by id in DescribeCompShareCustomImages, sharing
// a call with lookups of other images of the zone as ImageStatus does. An
// image the API does not list is an *Error for which IsNotFound is true.
func (c *Client) Image(ctx context.Context, region, zone, imageID string) (Image, error) {
	entry, _, err := c.lookUpImage(ctx, region, zone, imageID)
	if err != nil {
		return Image{}, err
	}
	return entry.image(), nil
}

// WalkImages visits the account's custom images in region and zone, asking
// DescribeCompShareCustomImages for perPage (1..100) at a time, until visit
// returns false or the list ends. An image that moves between pages while
// they are read (because another was added or deleted) is visited once, or
// may be missed.
func (c *Client) WalkImages(ctx context.Context, region, zone string, perPage int, visit func(Image) bool) error {
	if perPage < 1 || perPage > PageSize {
		return fmt.Errorf("%s: %d images a page, want 1..%d", ActionDescribeImages, perPage, PageSize)
	}
	cl := call{action: ActionDescribeImages, region: region, zone: zone}
	return walkPages(func(offset int) (page[imageEntry], error) { return c.describeImages(ctx, cl, "", offset, perPage) },
		imageEntry.id, func(entries []imageEntry, _ string) bool {
			for _, entry := range entries {
				if !visit(entry.image()) {
					return false
				}
			}
			return true
		})
}

// Images lists all the account's custom images in region and zone, a
// hundred a page, as WalkImages visits them.
func (c *Client) Images(ctx context.Context, region, zone string) ([]Image, error) {
	var images []Image
	err := c.WalkImages(ctx, region, zone, PageSize, func(img Image) bool {
		images = append(images, img)
		return true
	})
	return images, err
}

// ImageNamed looks up the image named name (image names are unique within
// an account), reading the whole list. No image of that name is an *Error
// for which IsNotFound is true.
func (c *Client) ImageNamed(ctx context.Context, region, zone, name string) (Image, error) {
	var found *Image
	err := c.WalkImages(ctx, region, zone, PageSize, func(img Image) bool {
		if img.Name == name {
			found = &img
		}
		return found == nil
	})
	switch {
	case err != nil:
		return Image{}, err
	case found == nil:
		e := call{action: ActionDescribeImages, region: region, zone: zone}.error("", fmt.Sprintf("no image is named %q", name))
		e.NotListed = true
		return Image{}, e
	}
	return *found, nil
}

// findImage asks for the image by id and picks the entry whose id matches,
// ignoring case: nothing promises that the API applied the filter, so it
// pages through the list while the image is not found.
func (c *Client) findImage(ctx context.Context, region, zone, imageID string) (imageEntry, string, error) {
	cl := call{action: ActionDescribeImages, region: region, zone: zone, imageID: imageID}
	found, requestID, err := findInPages(func(offset int) (page[imageEntry], error) {
		return c.describeImages(ctx, cl, imageID, offset, PageSize)
	},
		imageEntry.id, imageID)
	if err != nil {
		return imageEntry{}, requestID, err
	}
	if found == nil {
		e := cl.error(requestID, "the API does not list the image")
		e.NotListed = true
		return imageEntry{}, requestID, e
	}
	return *found, requestID, nil
}

// describeImages asks for the page of images at offset, at most limit, only
// imageID when it is set.
func (c *Client) describeImages(ctx context.Context, cl call, imageID string, offset, limit int) (page[imageEntry], error) {
	var answer describeImagesResponse
	req := &ucompshare.DescribeCompShareCustomImagesRequest{Offset: ucloud.Int(offset), Limit: ucloud.Int(limit)}
	if imageID != "" {
		req.CompShareImageId = ucloud.String(imageID)
	}
	requestID, err := c.invoke(ctx, cl, req, &answer)
	if err == nil {
		err = checkListAnswer(cl, requestID, &answer)
	}
	return page[imageEntry]{entries: answer.ImageSet, limit: limit, total: answer.TotalCount, requestID: requestID}, err
}

// describeImagesResponse is our own shape of the answer, with only what we
// read, and lenient about the types of numbers: one odd field must not
// make a status lookup fail.
type describeImagesResponse struct {
	response.CommonBase

	TotalCount optionalNumber
	ImageSet   []imageEntry
}

type imageEntry struct {
	CompShareImageId word
	Name             string
	Description      string
	Status           word
	FailedReason     string
	Size             optionalNumber
	CreateTime       optionalNumber
	Container        flag
	SourceGpuType    string
	Tags             tagList
	Visibility       optionalNumber
	ImageType        string
}

func (e imageEntry) id() string { return string(e.CompShareImageId) }

func (e imageEntry) image() Image {
	img := Image{
		ID: string(e.CompShareImageId), Name: e.Name, Description: e.Description,
		Status: string(e.Status), FailedReason: e.FailedReason,
		SizeMB: int64(e.Size.value), Container: bool(e.Container), SourceGpuType: e.SourceGpuType,
		Tags: e.Tags, Visibility: int(e.Visibility.value), ImageType: e.ImageType,
	}
	if e.CreateTime.present && e.CreateTime.value > 0 {
		img.CreatedAt = time.Unix(int64(e.CreateTime.value), 0).UTC()
	}
	return img
}

// flag reads the API's "True" and "False" in any case, or a JSON boolean.
type flag bool

func (f *flag) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	var s string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
	} else {
		s = string(data)
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		*f = true
	case "false", "", "null":
		*f = false
	default:
		return fmt.Errorf("not True or False: %s", data)
	}
	return nil
}

// word is a status word or an id, without the spaces around it: an answer's
// "Available " must read as Available, and an id as the one asked for.
type word string

func (w *word) UnmarshalJSON(data []byte) error {
	var s *string // null leaves it empty
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if s != nil {
		*w = word(strings.TrimSpace(*s))
	}
	return nil
}

// tagList reads Tags as a JSON array of strings, as the SDK declares it, or
// as one string of comma-separated tags ("" for none), as APIs that store
// them so may answer: tags only show, and must not make the whole list
// unreadable.
type tagList []string

func (t *tagList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '"' {
		return json.Unmarshal(data, (*[]string)(t))
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	*t = nil
	for _, tag := range strings.Split(s, ",") {
		if tag = strings.TrimSpace(tag); tag != "" {
			*t = append(*t, tag)
		}
	}
	return nil
}
