package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
)

// Defaults shared by the wait resource and the wait action.
const (
	defaultTargetProgress = 100.0
	defaultWaitTimeout    = 60 * time.Minute
)

// logSubsystem names the provider's own log lines (TF_LOG_PROVIDER_COMPSHARE).
const logSubsystem = "compshare"

// logContext adds the provider's log subsystem to ctx.
func logContext(ctx context.Context) context.Context {
	return tflog.NewSubsystem(ctx, logSubsystem)
}

// configuredData is what Configure of a data source, resource or action
// receives from the provider; nil before the provider is configured.
func configuredData(from any) (*providerData, diag.Diagnostics) {
	var diags diag.Diagnostics
	if from == nil {
		return nil, diags
	}
	data, ok := from.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", from))
	}
	return data, diags
}

// runWait waits for an image build for at most timeout, logging its course;
// onPoll, if set, also hears every answer.
func runWait(ctx context.Context, client imagewait.Reader, req imagewait.Request, timeout time.Duration, onPoll func(compshare.Progress, time.Duration)) (compshare.Progress, error) {
	ctx = logContext(ctx)
	tflog.SubsystemInfo(ctx, logSubsystem, "waiting for image build", map[string]any{
		"image_id": req.ImageID, "target_progress": req.Target, "timeout": timeout.String(), "max_poll_interval": req.MaxInterval.String(),
	})
	req.OnPoll = func(p compshare.Progress, next time.Duration) {
		tflog.SubsystemDebug(ctx, logSubsystem, "polled image build", map[string]any{
			"image_id": req.ImageID, "progress": p.Percent, "request_id": p.RequestID, "next_poll_in": next.String(),
		})
		if onPoll != nil {
			onPoll(p, next)
		}
	}
	req.OnTransientError = func(err error, next time.Duration) {
		tflog.SubsystemWarn(ctx, logSubsystem, "transient API error, polling again", map[string]any{
			"image_id": req.ImageID, "error": err.Error(), "next_poll_in": next.String(),
		})
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := imagewait.Wait(waitCtx, client, req)
	if err == nil {
		tflog.SubsystemInfo(ctx, logSubsystem, "image build reached its target", map[string]any{"image_id": req.ImageID, "progress": p.Percent})
	}
	return p, err
}

// stringOr returns v's value, or fallback when v is not set.
func stringOr(v types.String, fallback string) string {
	if v.IsNull() || v.IsUnknown() {
		return fallback
	}
	return v.ValueString()
}

// setProgress copies an API answer into the computed attributes shared by
// the data source and the wait resource.
func setProgress(p compshare.Progress, progress, total, remaining *types.Float64, completed *types.Bool) {
	*progress = types.Float64Value(p.Percent)
	*total = types.Float64PointerValue(p.TotalSeconds)
	*remaining = types.Float64PointerValue(p.RemainingSeconds)
	*completed = types.BoolValue(p.Completed())
}
