package provider

import (
	"cmp"
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
				Description: "Longest pause between two polls of the API, as a duration such as `30s` (1s to 1h). " + maxPollIntervalOverridesBudget + " Defaults to `" + schedule.DefaultMaxInterval.String() + "`.",
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
	resp.Diagnostics.Append(checkTimeouts(ctx, timeoutValue{"invoke", config.Timeouts.Invoke})...)
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

	report := imagewait.NewReporter(imageID, target, progressEvery, func(message string) {
		resp.SendProgress(action.InvokeProgressEvent{Message: message})
	})
	defer report.Stop()
	p, err := runWait(ctx, a.data.client, a.data.waitRequest(region, zone, imageID, target, maxInterval), timeout, report.Poll)
	if err != nil {
		resp.Diagnostics.Append(waitErrorDiagnostic(imageID, "timeouts.invoke", aftermath{}, err))
		return
	}
	report.Done(p)
}
