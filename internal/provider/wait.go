package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// Defaults shared by the wait resource and the wait action.
const (
	defaultTargetProgress = 100.0
	defaultWaitTimeout    = 60 * time.Minute
)

// waitRequest is the one way a resource or action asks for a wait, so that
// all of them honour the provider's settings alike. maxInterval 0 means the
// wait's default.
func (d *providerData) waitRequest(region, zone, imageID string, target float64, maxInterval time.Duration) imagewait.Request {
	req := imagewait.Request{Region: region, Zone: zone, ImageID: imageID, Target: target, MaxInterval: maxInterval}
	if d.fixedPollInterval != 0 {
		req.Schedule = schedule.NewFixed(d.fixedPollInterval)
	}
	return req
}

// runWait waits for an image build for at most timeout, logging its course;
// onPoll, if set, also hears every answer.
func runWait(ctx context.Context, client imagewait.Reader, req imagewait.Request, timeout time.Duration, onPoll func(compshare.Progress, time.Duration)) (compshare.Progress, error) {
	ctx = logContext(ctx)
	tflog.SubsystemInfo(ctx, logSubsystem, "waiting for image build", map[string]any{
		"image_id": req.ImageID, "target_progress": req.Target, "timeout": timeout.String(), "max_poll_interval": schedule.MaxInterval(req.MaxInterval).String(),
	})
	req.OnPoll = func(p compshare.Progress, next time.Duration, reason string) {
		// next_poll_reason says why the next call comes when it does (see
		// the schedule's package doc): TF_LOG_PROVIDER=DEBUG shows it.
		tflog.SubsystemDebug(ctx, logSubsystem, "polled image build", map[string]any{
			"image_id": req.ImageID, "progress": p.Percent, "request_id": p.RequestID,
			"next_poll_in": next.String(), "next_poll_reason": reason,
		})
		if onPoll != nil {
			onPoll(p, next)
		}
	}
	req.OnLookup = func(status string, next time.Duration, reason string) {
		tflog.SubsystemDebug(ctx, logSubsystem, "looked up image status", map[string]any{
			"image_id": req.ImageID, "status": status, "next_poll_in": next.String(), "next_poll_reason": reason,
		})
	}
	req.OnTransientError = func(err error, next time.Duration) {
		tflog.SubsystemWarn(ctx, logSubsystem, "transient API error, polling again", map[string]any{
			"image_id": req.ImageID, "error": err.Error(), "next_poll_in": next.String(),
		})
	}
	req.OnUnknownStatus = func(status string) {
		tflog.SubsystemWarn(ctx, logSubsystem, "unknown image status, waiting on", map[string]any{"image_id": req.ImageID, "status": status})
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := imagewait.Wait(waitCtx, client, req)
	if err == nil {
		tflog.SubsystemInfo(ctx, logSubsystem, "image build reached its target", map[string]any{"image_id": req.ImageID, "progress": p.Percent})
	}
	return p, err
}
