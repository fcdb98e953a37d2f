package provider

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// progressEvery bounds the silence between two progress messages, since
// polls may be further apart.
const progressEvery = 10 * time.Second

var (
	_ action.ActionWithConfigure      = (*imageWaitAction)(nil)
	_ action.ActionWithValidateConfig = (*imageWaitAction)(nil)
)

func newImageWaitAction() action.Action { return &imageWaitAction{} }

type imageWaitAction struct {
	data *providerData
}

type imageWaitActionModel struct {
	ImageID types.String `tfsdk:"image_id"`
	locationModel
	TargetProgress  types.Float64  `tfsdk:"target_progress"`
	MaxPollInterval types.String   `tfsdk:"max_poll_interval"`
	Timeouts        timeouts.Value `tfsdk:"timeouts"`
}

func (a *imageWaitAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_wait"
}

func (a *imageWaitAction) Schema(ctx context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Waits until a custom image build reaches `target_progress`, reporting its progress in the CLI at every poll " +
			"and at least every 10 seconds. Run it with `terraform apply -invoke=action.compshare_image_wait.NAME`, or from " +
			"an `action_trigger` in a dependent's lifecycle. Needs Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"image_id": schema.StringAttribute{
				Required:    true,
				Validators:  imageIDValidators,
				Description: "Id of the custom image to wait for, such as `compshareImage-xxxx`.",
			},
			"region": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Region of the image. Defaults to the provider's `region`.",
			},
			"zone": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Zone of the image. Defaults to the provider's `zone`.",
			},
			"target_progress": schema.Float64Attribute{
				Optional:    true,
				Validators:  []validator.Float64{targetProgressValidator{}},
				Description: "Percent of progress to wait for, greater than 0 and at most 100. Defaults to 100 (the build is done).",
			},
			"max_poll_interval": schema.StringAttribute{
				Optional:    true,
				Validators:  []validator.String{maxPollIntervalValidator},
				Description: "Longest pause between two polls of the API, as a duration such as `30s` (1s to 1h). Defaults to `" + schedule.DefaultMaxInterval.String() + "`.",
			},
			"timeouts": timeouts.AttributesWithOpts(ctx, timeouts.Opts{
				InvokeDescription: "How long the action waits for the image, as a duration such as `30m`. Defaults to `60m`.",
			}),
		},
	}
}

func (a *imageWaitAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region and a timeout that would
// end the wait before it starts.
func (a *imageWaitAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var config imageWaitActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(config.checkZone(nil)...)
	if config.Timeouts.IsNull() || config.Timeouts.IsUnknown() {
		return
	}
	if timeout, diags := config.Timeouts.Invoke(ctx, defaultWaitTimeout); !diags.HasError() && timeout <= 0 {
		resp.Diagnostics.AddAttributeError(path.Root("timeouts").AtName("invoke"), "Invalid timeouts.invoke",
			fmt.Sprintf("Attribute timeouts.invoke must be a positive duration such as 30m, got: %s.", timeout))
	}
}

func (a *imageWaitAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var model imageWaitActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := model.Timeouts.Invoke(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(model.checkZone(a.data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	target := cmp.Or(model.TargetProgress.ValueFloat64(), defaultTargetProgress)
	maxInterval, _ := time.ParseDuration(model.MaxPollInterval.ValueString()) // checked by its validator; 0 when unset
	imageID := model.ImageID.ValueString()
	region, zone := model.resolve(a.data)

	report := newProgressReporter(imageID, target, resp.SendProgress)
	stop := report.every(progressEvery)
	defer stop()
	p, err := runWait(ctx, a.data.client, a.data.waitRequest(region, zone, imageID, target, maxInterval), timeout, func(p compshare.Progress, next time.Duration) {
		if next > 0 {
			report.poll(p)
		}
	})
	stop()
	if err != nil {
		resp.Diagnostics.Append(waitErrorDiagnostic(imageID, "timeouts.invoke", "", err))
		return
	}
	report.send(fmt.Sprintf("%s: %s %% done, finished waiting after %s", imageID, imagewait.FormatPercent(p.Percent), report.elapsed()))
}

// progressReporter sends the progress messages of one invocation. Polls and
// a ticker both send, so it serializes them.
type progressReporter struct {
	imageID string
	target  float64
	start   time.Time
	sendFn  func(action.InvokeProgressEvent)

	mu       sync.Mutex
	last     *compshare.Progress
	at       time.Time // of last
	lastSent time.Time
}

func newProgressReporter(imageID string, target float64, send func(action.InvokeProgressEvent)) *progressReporter {
	return &progressReporter{imageID: imageID, target: target, start: time.Now(), sendFn: send}
}

func (r *progressReporter) elapsed() time.Duration { return time.Since(r.start).Round(time.Second) }

func (r *progressReporter) send(message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastSent = time.Now()
	if r.sendFn != nil {
		r.sendFn(action.InvokeProgressEvent{Message: message})
	}
}

// quiet reports whether nothing was sent for at least d.
func (r *progressReporter) quiet(d time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Since(r.lastSent) >= d
}

// poll reports a fresh answer.
func (r *progressReporter) poll(p compshare.Progress) {
	r.mu.Lock()
	r.last, r.at = &p, time.Now()
	r.mu.Unlock()
	r.send(r.message())
}

// message describes the last answer, with the time left by the estimate at
// the moment of the answer, counted down since.
func (r *progressReporter) message() string {
	r.mu.Lock()
	last, at := r.last, r.at
	r.mu.Unlock()
	if last == nil {
		return fmt.Sprintf("%s: waiting for the first answer (%s elapsed)", r.imageID, r.elapsed())
	}
	msg := fmt.Sprintf("%s: %s %% done", r.imageID, imagewait.FormatPercent(last.Percent))
	if eta, ok := schedule.ETA(imagewait.Observe(*last, at), r.target); ok {
		if left := eta - time.Since(at); left > 0 {
			return msg + fmt.Sprintf(", about %s left", left.Round(time.Second))
		}
		return msg + ", due about now"
	}
	return msg + ", no estimate of the time left"
}

// every sends the last known progress whenever nothing was sent for
// interval, until the returned stop is called; stop returns once nothing
// more is sent, and may be called again.
func (r *progressReporter) every(interval time.Duration) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	var once sync.Once
	ticker := time.NewTicker(interval / 10)
	go func() {
		defer close(exited)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				if r.quiet(interval) {
					r.send(r.message())
				}
			}
		}
	}()
	return func() {
		once.Do(func() { close(done) })
		<-exited
	}
}
