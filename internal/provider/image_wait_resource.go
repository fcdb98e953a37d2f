package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

const defaultCreateTimeout = 60 * time.Minute

var (
	_ resource.ResourceWithConfigure   = (*imageWaitResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*imageWaitResource)(nil)
	_ resource.ResourceWithImportState = (*imageWaitResource)(nil)
)

func newImageWaitResource() resource.Resource { return &imageWaitResource{} }

type imageWaitResource struct {
	data *providerData
}

type imageWaitModel struct {
	ID                types.String   `tfsdk:"id"`
	ImageID           types.String   `tfsdk:"image_id"`
	Region            types.String   `tfsdk:"region"`
	Zone              types.String   `tfsdk:"zone"`
	TargetProgress    types.Float64  `tfsdk:"target_progress"`
	MaxPollInterval   types.String   `tfsdk:"max_poll_interval"`
	Triggers          types.Map      `tfsdk:"triggers"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
	Progress          types.Float64  `tfsdk:"progress"`
	TotalDuration     types.Float64  `tfsdk:"total_duration"`
	RemainingDuration types.Float64  `tfsdk:"remaining_duration"`
	Completed         types.Bool     `tfsdk:"completed"`
	CompletedAt       types.String   `tfsdk:"completed_at"`
}

func (r *imageWaitResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_wait"
}

func (r *imageWaitResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.Float64{float64planmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "Waits during apply until a custom image build is done, so that resources referring to it " +
			"(for example through `image_id`) are created only once the image is ready. " +
			"The plan reads the build's progress and tells how long apply will wait. Destroying it only forgets the wait.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				Description:   "The image id.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"image_id": schema.StringAttribute{
				Required:      true,
				Validators:    imageIDValidators,
				PlanModifiers: replace,
				Description:   "Id of the custom image to wait for, such as `compshareImage-xxxx`. Changing it starts a new wait.",
			},
			"region": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Validators:  []validator.String{stringvalidator.LengthAtLeast(1)},
				Description: "Region of the image. Defaults to the provider's `region`. Changing it starts a new wait.",
			},
			"zone": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Validators:  []validator.String{stringvalidator.LengthAtLeast(1)},
				Description: "Zone of the image. Defaults to the provider's `zone`. Changing it starts a new wait.",
			},
			"target_progress": schema.Float64Attribute{
				Optional:      true,
				Computed:      true,
				Default:       float64default.StaticFloat64(100),
				Validators:    []validator.Float64{targetProgressValidator{}},
				PlanModifiers: []planmodifier.Float64{float64planmodifier.RequiresReplace()},
				Description:   "Percent of progress to wait for, greater than 0 and at most 100. Defaults to 100 (the build is done). Changing it starts a new wait.",
			},
			"max_poll_interval": schema.StringAttribute{
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(schedule.DefaultMaxInterval.String()),
				Validators: []validator.String{maxPollIntervalValidator},
				Description: "Longest pause between two polls of the API, as a duration such as `30s` or `2m` (1s to 1h). " +
					"The wait polls rarely while the build is far from done and often near its expected end; this bounds how late " +
					"an unexpectedly early end is noticed. Defaults to `" + schedule.DefaultMaxInterval.String() + "`. Can change without a new wait.",
			},
			"triggers": schema.MapAttribute{
				ElementType:   types.StringType,
				Optional:      true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
				Description:   "Arbitrary strings; changing any of them replaces the resource, so apply waits again (as with `time_sleep`).",
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{
				Create:            true,
				CreateDescription: "How long apply waits for the image, as a duration such as `30m` or `2h`. Defaults to `60m`.",
			}),
			"progress": schema.Float64Attribute{
				Computed:      true,
				PlanModifiers: keep,
				Description:   "Percent of the build done when last read, 0 to 100.",
			},
			"total_duration": schema.Float64Attribute{
				Computed:      true,
				PlanModifiers: keep,
				Description:   "The API's estimate of the whole build's duration in seconds, when last read; null when the API gives none.",
			},
			"remaining_duration": schema.Float64Attribute{
				Computed:      true,
				PlanModifiers: keep,
				Description:   "The API's estimate of the time left in seconds, when last read; null when the API gives none.",
			},
			"completed": schema.BoolAttribute{
				Computed:      true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				Description:   "Whether the build had reached 100 % when last read.",
			},
			"completed_at": schema.StringAttribute{
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				Description:   "When the wait ended (RFC 3339).",
			},
		},
	}
}

func (r *imageWaitResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", req.ProviderData))
		return
	}
	r.data = data
}

// ModifyPlan fills region and zone from the provider, and reads the API so
// that an unknown image or refused keys fail the plan, and a planned wait
// says how long it will take.
func (r *imageWaitResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or a provider not configured yet (validation)
	}
	var plan, config imageWaitModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *imageWaitModel
	if !req.State.Raw.IsNull() {
		state = new(imageWaitModel)
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	// Computed region and zone follow the provider's defaults; a change of
	// those moves the wait to another image, so it replaces the resource.
	plan.Region, plan.Zone = orDefault(config.Region, r.data.region), orDefault(config.Zone, r.data.zone)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if state != nil {
		if !state.Region.Equal(plan.Region) {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("region"))
		}
		if !state.Zone.Equal(plan.Zone) {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("zone"))
		}
	}
	if plan.ImageID.IsUnknown() || plan.Region.IsUnknown() || plan.Zone.IsUnknown() {
		return
	}

	imageID := plan.ImageID.ValueString()
	p, err := r.data.client.ImageProgress(ctx, plan.Region.ValueString(), plan.Zone.ValueString(), imageID)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(imageID, err))
		return
	}
	waits := state == nil || len(resp.RequiresReplace) > 0 || replaces(state, &plan)
	target := plan.TargetProgress.ValueFloat64()
	if !waits || plan.TargetProgress.IsUnknown() || p.Percent >= target {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.AddWarning("Image "+imageID+" is still being built", waitForecast(p, target, timeout))
}

// orDefault returns the configured value, or fallback when none is set;
// an unknown value stays unknown.
func orDefault(configured types.String, fallback string) types.String {
	if configured.IsNull() {
		return types.StringValue(fallback)
	}
	return configured
}

// replaces reports whether the plan changes an attribute that starts a new
// wait (the attribute plan modifiers' verdict is not visible here).
func replaces(state, plan *imageWaitModel) bool {
	return !state.ImageID.Equal(plan.ImageID) || !state.TargetProgress.Equal(plan.TargetProgress) || !state.Triggers.Equal(plan.Triggers)
}

// waitForecast tells where a build stands and how long apply will wait.
func waitForecast(p compshare.Progress, target float64, timeout time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The image is %s %% built. Apply will wait until it reaches %s %%", imagewait.FormatPercent(p.Percent), imagewait.FormatPercent(target))
	if eta, ok := schedule.ETA(imagewait.Observe(p, time.Now()), target); ok {
		fmt.Fprintf(&b, ", about %s by the API's estimate", eta.Round(time.Second))
		if eta > timeout {
			fmt.Fprintf(&b, ", longer than timeouts.create (%s): raise it, or apply will fail and can be run again", timeout)
		}
	} else {
		b.WriteString("; the API gives no estimate of the time left")
	}
	fmt.Fprintf(&b, " (timeouts.create: %s).", timeout)
	return b.String()
}

func (r *imageWaitResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageWaitModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	maxInterval, err := time.ParseDuration(plan.MaxPollInterval.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("max_poll_interval"), "Invalid max_poll_interval", err.Error())
	}
	if resp.Diagnostics.HasError() {
		return
	}

	imageID := plan.ImageID.ValueString()
	target := plan.TargetProgress.ValueFloat64()
	logFields := map[string]any{"image_id": imageID, "target_progress": target, "timeout": timeout.String(), "max_poll_interval": maxInterval.String()}
	tflog.Info(ctx, "waiting for image build", logFields)
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := imagewait.Wait(waitCtx, r.data.client, imagewait.Request{
		Region: plan.Region.ValueString(), Zone: plan.Zone.ValueString(), ImageID: imageID,
		Target: target, MaxInterval: maxInterval, Schedule: r.data.waitSchedule(),
		OnPoll: func(p compshare.Progress, next time.Duration) {
			tflog.Debug(ctx, "polled image build", map[string]any{"image_id": imageID, "progress": p.Percent, "request_id": p.RequestID, "next_poll_in": next.String()})
		},
	})
	if err != nil {
		resp.Diagnostics.Append(waitErrorDiagnostic(imageID, "timeouts.create", err))
		return
	}
	tflog.Info(ctx, "image build reached its target", map[string]any{"image_id": imageID, "progress": p.Percent})

	plan.ID = types.StringValue(imageID)
	setProgress(p, &plan.Progress, &plan.TotalDuration, &plan.RemainingDuration, &plan.Completed)
	plan.CompletedAt = types.StringValue(time.Now().UTC().Format(time.RFC3339))
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// waitErrorDiagnostic explains why a wait ended without the image;
// timeoutAttribute names the setting that bounds the wait.
func waitErrorDiagnostic(imageID, timeoutAttribute string, err error) diag.Diagnostic {
	var timeout *imagewait.TimeoutError
	var failed *imagewait.FailedError
	switch {
	case errors.As(err, &timeout):
		return diag.NewErrorDiagnostic("Timed out waiting for image "+imageID,
			err.Error()+"; raise "+timeoutAttribute+" or run apply again. Nothing was saved: the next apply waits again.")
	case errors.As(err, &failed):
		return diag.NewErrorDiagnostic("Image "+imageID+" failed to build", err.Error()+".")
	case errors.Is(err, context.Canceled):
		return diag.NewErrorDiagnostic("Wait for image "+imageID+" interrupted", err.Error()+". Nothing was saved: the next apply waits again.")
	}
	return apiErrorDiagnostic(imageID, err)
}

func (r *imageWaitResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageWaitModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	imageID := state.ImageID.ValueString()
	region, zone := stringOr(state.Region, r.data.region), stringOr(state.Zone, r.data.zone)
	p, err := r.data.client.ImageProgress(ctx, region, zone, imageID)
	if compshare.IsNotFound(err) {
		tflog.Warn(ctx, "the API no longer knows the image; removing the wait from state", map[string]any{"image_id": imageID})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(imageID, err))
		return
	}
	if state.CompletedAt.IsNull() {
		// Only an import leaves completed_at unset: it adopts a finished
		// build, never one that apply would still have to wait for.
		target := 100.0
		if !state.TargetProgress.IsNull() {
			target = state.TargetProgress.ValueFloat64()
		}
		if p.Percent < target {
			resp.Diagnostics.AddError("Cannot import an unfinished image build",
				fmt.Sprintf("Image %s is %s %% built, short of %s %%. Import only finished builds; to wait for this one, let terraform apply create the resource.", imageID, imagewait.FormatPercent(p.Percent), imagewait.FormatPercent(target)))
			return
		}
		state.CompletedAt = types.StringValue(time.Now().UTC().Format(time.RFC3339))
		state.TargetProgress = types.Float64Value(target)
		if state.MaxPollInterval.IsNull() {
			state.MaxPollInterval = types.StringValue(schedule.DefaultMaxInterval.String())
		}
	}
	state.ID = types.StringValue(imageID)
	state.Region, state.Zone = types.StringValue(region), types.StringValue(zone)
	setProgress(p, &state.Progress, &state.TotalDuration, &state.RemainingDuration, &state.Completed)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update changes only max_poll_interval or timeouts: nothing to ask the API.
func (r *imageWaitResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan imageWaitModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete forgets the wait; the image itself is not touched.
func (r *imageWaitResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// ImportState accepts IMAGE_ID or REGION/ZONE/IMAGE_ID.
func (r *imageWaitResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	parts := strings.Split(req.ID, "/")
	var region, zone, imageID string
	switch len(parts) {
	case 1:
		imageID = parts[0]
	case 3:
		region, zone, imageID = parts[0], parts[1], parts[2]
	}
	if imageID == "" || strings.ContainsAny(req.ID, " \t\n") || (len(parts) == 3 && (region == "" || zone == "")) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("Import id %q is neither an image id (compshareImage-xxxx) nor region/zone/image_id (cn-wlcb/cn-wlcb-01/compshareImage-xxxx).", req.ID))
		return
	}
	if r.data != nil {
		region, zone = cmp.Or(region, r.data.region), cmp.Or(zone, r.data.zone)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), imageID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("image_id"), imageID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("region"), region)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("zone"), zone)...)
}

var maxPollIntervalValidator = durationValidator{min: time.Second, max: time.Hour}

// durationValidator accepts Go durations within [min, max].
type durationValidator struct{ min, max time.Duration }

func (v durationValidator) Description(context.Context) string {
	return fmt.Sprintf("value must be a duration such as 30s or 2m, from %s to %s", v.min, v.max)
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d < v.min || d > v.max {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("Attribute %s %s, got: %q.", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}

// targetProgressValidator accepts percentages in (0, 100].
type targetProgressValidator struct{}

func (targetProgressValidator) Description(context.Context) string {
	return "value must be a percentage greater than 0 and at most 100"
}

func (v targetProgressValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v targetProgressValidator) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if p := req.ConfigValue.ValueFloat64(); !(p > 0 && p <= 100) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid target_progress",
			fmt.Sprintf("Attribute %s %s, got: %s.", req.Path, v.Description(ctx), imagewait.FormatPercent(p)))
	}
}
