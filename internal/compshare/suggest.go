package compshare

import (
	"context"
	"strings"

	"github.com/agext/levenshtein"
)

// maxTypo is the most edits (a character added, dropped or changed) by
// which a mistyped image id may differ from the one meant.
const maxTypo = 3

// SimilarImageID returns the id of one of the account's images in region and
// zone that imageID, an id the API does not know, most likely meant: the
// closest within maxTypo edits, ignoring case (so an id in the wrong case,
// which the API refuses, finds the right one); "" when none is that close or
// the list cannot be read. It costs one DescribeCompShareCustomImages call
// (one page, the API's first 100 images): call it only on the error path.
func (c *Client) SimilarImageID(ctx context.Context, region, zone, imageID string) string {
	cl := call{action: ActionDescribeImages, region: region, zone: zone}
	p, err := c.describeImages(ctx, cl, "", 0, PageSize)
	if err != nil {
		return ""
	}
	want := strings.ToLower(strings.TrimSpace(imageID))
	best, bestDistance := "", maxTypo+1
	for _, entry := range p.entries {
		id := entry.id()
		if d := levenshtein.Distance(want, strings.ToLower(id), nil); d < bestDistance && id != imageID {
			best, bestDistance = id, d
		}
	}
	return best
}
