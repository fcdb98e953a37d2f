package compshare

import (
	"context"
	"strings"
	"time"
)

// Many waits at once look their images' status up every few seconds (see
// imagewait), one DescribeCompShareCustomImages call each, and a request
// budget of 20 calls a second queues them. A lookup that comes within
// freshFor of a lookup of another image in the same region and zone
// reads the zone's first page of images instead (up to PageSize of them),
// and the lookups that follow within freshFor of its answer, or while
// it runs, share it: one call answers for up to a hundred images. An image
// the page does not hold (an account with more images) is then looked up by
// id, as a lone lookup always is; an image a complete page does not hold is
// not listed.
//
// This is singleflight with a short reuse of the answer, written here
// because golang.org/x/sync/singleflight shares only calls in flight, and
// its key would be the zone while the answer each caller wants is its own
// image's entry.

type zoneKey struct{ region, zone string }

// zoneLookups is what the client remembers of a zone's status lookups;
// guarded by Client.mu.
type zoneLookups struct {
	askedAt time.Time  // the latest lookup
	asked   string     // its image id, lower case
	page    *imagePage // the latest page call: running, or answered
}

// imagePage is one call for a zone's first page of images, shared by the
// lookups that wait for it. Its fields other than done are written once,
// before done is closed.
type imagePage struct {
	done      chan struct{}
	at        time.Time // when the answer arrived; guarded by Client.mu
	entries   map[string]imageEntry
	complete  bool // the page holds the whole list
	requestID string
	err       error
}

// lookUpImage returns the image's entry in DescribeCompShareCustomImages and
// the request id of the answer it came from, from a page shared with the
// lookups of other images of the zone when they come close together, else by
// id (findImage). An image the API does not list is an *Error for which
// IsNotFound is true.
func (c *Client) lookUpImage(ctx context.Context, region, zone, imageID string) (imageEntry, string, error) {
	if p := c.sharedPage(ctx, region, zone, imageID); p != nil {
		select {
		case <-p.done:
		case <-ctx.Done():
			return imageEntry{}, "", canceled(ActionDescribeImages, imageID, ctx)
		}
		if p.err == nil {
			if entry, ok := p.entries[strings.ToLower(imageID)]; ok {
				return entry, p.requestID, nil
			}
			if p.complete {
				e := call{action: ActionDescribeImages, region: region, zone: zone, imageID: imageID}.error(p.requestID, "the API does not list the image")
				e.NotListed = true
				return imageEntry{}, p.requestID, e
			}
		}
		// Not on the page, or the shared call failed: the lookup's own
		// call tells, and names this image in its error.
	}
	return c.findImage(ctx, region, zone, imageID)
}

// sharedPage returns the zone's page call that a lookup of imageID shares,
// starting one if need be, or nil when the lookup goes alone.
func (c *Client) sharedPage(ctx context.Context, region, zone, imageID string) *imagePage {
	key, id := zoneKey{region, zone}, strings.ToLower(imageID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zoneLookups == nil {
		c.zoneLookups = map[zoneKey]*zoneLookups{}
	}
	z := c.zoneLookups[key]
	if z == nil {
		z = &zoneLookups{}
		c.zoneLookups[key] = z
	}
	now := c.now()
	crowded := z.asked != "" && z.asked != id && now.Sub(z.askedAt) < freshFor
	z.askedAt, z.asked = now, id
	fresh := z.page != nil && (z.page.at.IsZero() || now.Sub(z.page.at) < freshFor)
	switch {
	case fresh:
	case crowded:
		z.page = c.startPage(ctx, key)
	default:
		return nil
	}
	return z.page
}

// startPage starts the call for the zone's first page; c.mu must be held.
// Like a shared progress call it runs on a context of its own, keeping
// ctx's values: the lookups sharing it may give up one by one without
// ending it for the others. Its retries give up by ctx's deadline.
func (c *Client) startPage(ctx context.Context, key zoneKey) *imagePage {
	p := &imagePage{done: make(chan struct{})}
	giveUpBy, _ := ctx.Deadline()
	callCtx := context.WithoutCancel(ctx)
	go func() {
		cl := call{action: ActionDescribeImages, region: key.region, zone: key.zone, giveUpBy: giveUpBy}
		answer, err := c.describeImages(callCtx, cl, "", 0, PageSize)
		p.err, p.requestID = err, answer.requestID
		if err == nil {
			p.entries = make(map[string]imageEntry, len(answer.entries))
			for _, e := range answer.entries {
				p.entries[strings.ToLower(e.id())] = e
			}
			p.complete = len(answer.entries) < PageSize && (!answer.total.present || answer.total.value <= float64(len(answer.entries)))
		}
		c.mu.Lock()
		p.at = c.now()
		c.mu.Unlock()
		close(p.done)
	}()
	return p
}
