package compshare

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

// ActionImageProgress is the API action that reports an image build's progress.
const ActionImageProgress = "GetCompShareImageCreateProgress"

// freshFor is how long an answer serves further reads of the same image (and
// a page of images further status lookups, see shared_lookups.go). It must
// stay well below schedule.MinInterval: a wait polling at that interval must
// never get the same answer twice, which would look like a stall.
const freshFor = 200 * time.Millisecond

// Progress is one answer of GetCompShareImageCreateProgress.
type Progress struct {
	// Percent is the API's Process, 0..100.
	Percent float64
	// TotalSeconds and RemainingSeconds are the API's estimates; nil when the
	// answer did not carry them.
	TotalSeconds     *float64
	RemainingSeconds *float64
	RequestID        string
}

// Completed reports whether the build has reached 100 %.
func (p Progress) Completed() bool { return p.Percent >= 100 }

type progressKey struct{ region, zone, imageID string }

// progressCall is one progress call, shared by every caller asking for the
// same image while it runs. Its fields are guarded by Client.mu until done is
// closed.
type progressCall struct {
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
	key := progressKey{region, zone, imageID}
	c.mu.Lock()
	pc := c.progressCalls[key]
	switch {
	case pc != nil && pc.finished && pc.err == nil && c.now().Sub(pc.at) < freshFor:
		c.mu.Unlock()
		return pc.progress, nil
	case pc == nil || pc.finished:
		pc = c.startProgressCall(ctx, key)
	}
	pc.callers++
	c.mu.Unlock()

	select {
	case <-pc.done:
		return pc.progress, pc.err
	case <-ctx.Done():
		c.leaveProgressCall(key, pc)
		return Progress{}, canceled(ActionImageProgress, imageID, ctx)
	}
}

// startProgressCall starts the API call for key; c.mu must be held. The call
// runs on its own context, keeping ctx's values, so that the caller who
// started it can give up while others still wait; leaveProgressCall cancels
// it when all have. Its retries give up early, though, rather than pause
// past the starter's deadline; callers with more time left then get the
// error sooner than they need to, and may call again.
func (c *Client) startProgressCall(ctx context.Context, key progressKey) *progressCall {
	callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	giveUpBy, _ := ctx.Deadline()
	pc := &progressCall{done: make(chan struct{}), cancel: cancel}
	c.progressCalls[key] = pc
	go func() {
		p, err := c.readProgress(callCtx, call{action: ActionImageProgress, region: key.region, zone: key.zone, imageID: key.imageID, giveUpBy: giveUpBy})
		cancel()
		c.mu.Lock()
		pc.progress, pc.err, pc.at, pc.finished = p, err, c.now(), true
		c.mu.Unlock()
		close(pc.done)
	}()
	return pc
}

// leaveProgressCall records that a caller of pc gave up; the last one to
// leave ends the call and forgets it, so that a later caller starts afresh.
func (c *Client) leaveProgressCall(key progressKey, pc *progressCall) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pc.callers--
	if pc.callers > 0 || pc.finished {
		return
	}
	pc.cancel()
	if c.progressCalls[key] == pc {
		delete(c.progressCalls, key)
	}
}

// readProgress asks the API for the progress of an image build.
func (c *Client) readProgress(ctx context.Context, cl call) (Progress, error) {
	var answer progressResponse
	req := &ucompshare.GetCompShareImageCreateProgressRequest{CompShareImageId: ucloud.String(cl.imageID)}
	requestID, err := c.invoke(ctx, cl, req, &answer)
	if err != nil {
		return Progress{}, err
	}
	p, err := answer.toProgress()
	if err != nil {
		e := cl.error(requestID, err.Error())
		e.Err, e.Unreadable = err, !answer.Process.present
		return Progress{}, e
	}
	p.RequestID = requestID
	return p, nil
}

// progressResponse is our own shape of the answer: the SDK's struct declares
// both durations as strings, while the API document (and servers that follow
// it) send JSON numbers, which makes the SDK's typed call fail on every answer.
type progressResponse struct {
	response.CommonBase

	Process           optionalNumber
	TotalDuration     estimate
	RemainingDuration estimate
}

// estimate is one of the API's duration estimates, in seconds. It is
// optional, so a value that is no number ("300s", "-") reads as none: it
// must not make the whole answer unreadable, which a wait rides out like a
// transient fault, until its timeout if every answer has it.
type estimate struct{ optionalNumber }

func (e *estimate) UnmarshalJSON(data []byte) error {
	if e.optionalNumber.UnmarshalJSON(data) != nil {
		e.optionalNumber = optionalNumber{}
	}
	return nil
}

// optionalNumber accepts a JSON number or a string holding one ("300",
// " 65.5 "); null and "" leave it absent.
type optionalNumber struct {
	value   float64
	present bool
}

func (n *optionalNumber) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		data = []byte(strings.TrimSpace(s))
	}
	if len(data) == 0 || string(data) == "null" {
		*n = optionalNumber{}
		return nil
	}
	v, err := strconv.ParseFloat(string(data), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("not a finite number: %s", data)
	}
	*n = optionalNumber{value: v, present: true}
	return nil
}

// seconds returns the number, or nil when absent.
func (n optionalNumber) seconds() *float64 {
	if !n.present {
		return nil
	}
	return &n.value
}

// boundNoise is how far beyond 0 or 100 a Process may be and still be read
// as that bound: floating-point noise such as 100.00000000000001.
const boundNoise = 1e-9

// toProgress checks the decoded answer and converts it. A missing or out of
// range Process is refused: taking it as 0 or 100 would stall or end a wait
// on an answer that says nothing.
func (r *progressResponse) toProgress() (Progress, error) {
	if !r.Process.present {
		return Progress{}, fmt.Errorf("the answer has no Process field")
	}
	percent := r.Process.value
	switch {
	case math.Abs(percent) <= boundNoise:
		percent = 0
	case math.Abs(percent-100) <= boundNoise:
		percent = 100
	}
	if percent < 0 || percent > 100 {
		return Progress{}, fmt.Errorf("the answer's Process %v is outside 0..100", percent)
	}
	return Progress{Percent: percent, TotalSeconds: r.TotalDuration.seconds(), RemainingSeconds: r.RemainingDuration.seconds()}, nil
}
