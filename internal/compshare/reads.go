package compshare

import (
	"context"
	"time"
)

// freshFor is how long an answer serves further reads of the same image. It
// must stay well below schedule.MinInterval: a wait polling at that interval
// must never get the same answer twice, which would look like a stall.
const freshFor = 200 * time.Millisecond

type readKey struct{ region, zone, imageID string }

// read is one progress call, shared by every caller asking for the same image
// while it runs. Its fields are guarded by Client.mu until done is closed.
type read struct {
	done     chan struct{}
	finished bool
	at       time.Time // when the answer arrived
	progress Progress  // shared: callers must not change what its pointers point to
	err      error
	callers  int                // callers still waiting for the answer
	cancel   context.CancelFunc // ends the call once no caller waits
}

// ImageProgress asks for the progress of an image build. Concurrent calls for
// the same image share one API call, and an answer younger than freshFor is
// reused; a failed call is never reused.
func (c *Client) ImageProgress(ctx context.Context, region, zone, imageID string) (Progress, error) {
	key := readKey{region, zone, imageID}
	c.mu.Lock()
	r := c.reads[key]
	switch {
	case r != nil && r.finished && r.err == nil && c.now().Sub(r.at) < freshFor:
		c.mu.Unlock()
		return r.progress, nil
	case r == nil || r.finished:
		r = c.startRead(ctx, key)
	}
	r.callers++
	c.mu.Unlock()

	select {
	case <-r.done:
		return r.progress, r.err
	case <-ctx.Done():
		c.leave(key, r)
		return Progress{}, canceled(ActionImageProgress, imageID, ctx)
	}
}

// startRead starts the API call for key; c.mu must be held. The call runs on
// its own context, keeping ctx's values, so that the caller who started it
// can give up while others still wait; leave cancels it when all have.
func (c *Client) startRead(ctx context.Context, key readKey) *read {
	callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &read{done: make(chan struct{}), cancel: cancel}
	c.reads[key] = r
	go func() {
		p, err := c.readProgress(callCtx, key.region, key.zone, key.imageID)
		cancel()
		c.mu.Lock()
		r.progress, r.err, r.at, r.finished = p, err, c.now(), true
		c.mu.Unlock()
		close(r.done)
	}()
	return r
}

// leave records that a caller of r gave up; the last one to leave ends the
// call and forgets it, so that a later caller starts afresh.
func (c *Client) leave(key readKey, r *read) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r.callers--
	if r.callers > 0 || r.finished {
		return
	}
	r.cancel()
	if c.reads[key] == r {
		delete(c.reads, key)
	}
}
