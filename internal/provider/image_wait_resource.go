package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
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

// newImageGrace bounds how long a plan asks again for an image the API does
// not know before it fails (pauses of 1, 2 and 4 s): a just-created image's id
// is briefly unknown.
const newImageGrace = 8 * time.Second

var (
	_ resource.ResourceWithConfigure      = (*imageWaitResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*imageWaitResource)(nil)
	_ resource.ResourceWithImportState    = (*imageWaitResource)(nil)
	_ resource.ResourceWithValidateConfig = (*imageWaitResource)(nil)
	_ resource.ResourceWithIdentity       = (*imageWaitResource)(nil)
)

func newImageWaitResource() resource.Resource { return &imageWaitResource{} }

type imageWaitResource struct {
	data *providerData
}

type imageWaitModel struct {
	ID      types.String `tfsdk:"id"`
	ImageID types.String `tfsdk:"image_id"`
	locationModel
	TargetProgress  types.Float64  `tfsdk:"target_progress"`
	MaxPollInterval types.String   `tfsdk:"max_poll_interval"`
	Triggers        types.Map      `tfsdk:"triggers"`
	Timeouts        timeouts.Value `tfsdk:"timeouts"`
	progressModel
	CompletedAt types.String `tfsdk:"completed_at"`
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
				Validators:  nonEmpty,
				Description: "Region of the image. Defaults to the provider's `region`. Changing it, or the provider's default when unset, starts a new wait.",
			},
			"zone": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Validators:  nonEmpty,
				Description: "Zone of the image. Defaults to the provider's `zone` (which does not follow `region`: set both). Changing it, or the provider's default when unset, starts a new wait.",
			},
			"target_progress": schema.Float64Attribute{
				Optional:      true,
				Computed:      true,
				Default:       float64default.StaticFloat64(defaultTargetProgress),
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
					"an unexpectedly early end is noticed. " + maxPollIntervalOverridesBudget + " Defaults to `" + schedule.DefaultMaxInterval.String() + "`. Can change without a new wait.",
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
	r.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region and a timeout that would
// end the wait before it starts.
func (r *imageWaitResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config imageWaitModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(config.checkZone(nil)...)
	if config.Timeouts.IsNull() || config.Timeouts.IsUnknown() {
		return
	}
	resp.Diagnostics.Append(checkTimeouts(ctx, timeoutValue{"create", config.Timeouts.Create})...)
}

// ModifyPlan fills region and zone from the provider, and reads the API so
// that an unknown image or refused keys fail the plan, and a build short of
// its target says how long a wait for it takes. A transient fault only warns:
// the wait itself rides such faults out.
func (r *imageWaitResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
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

	var stateLocation *locationModel
	if state != nil {
		stateLocation = &state.locationModel
	}
	replace, diags := planLocation(&plan.locationModel, config.locationModel, stateLocation, r.data)
	resp.Diagnostics.Append(diags...)
	resp.RequiresReplace = append(resp.RequiresReplace, replace...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if plan.ImageID.IsUnknown() || plan.Region.IsUnknown() || plan.Zone.IsUnknown() {
		return
	}

	imageID := plan.ImageID.ValueString()
	p, err := r.data.client.ImageProgress(ctx, plan.Region.ValueString(), plan.Zone.ValueString(), imageID)
	// The plan that apply makes reads an id that was unknown at the first
	// plan, of an image just created, which the API may not know yet.
	for pause := time.Second; state == nil && compshare.IsNotFound(err) && pause <= newImageGrace/2; pause *= 2 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		p, err = r.data.client.ImageProgress(ctx, plan.Region.ValueString(), plan.Zone.ValueString(), imageID)
	}
	switch {
	case compshare.IsUnreachable(err) && compshare.IsTransient(err):
		// Most likely a wrong base_url, but maybe an outage, which the
		// wait rides out: it must not block the apply.
		resp.Diagnostics.AddWarning("Cannot reach the Compshare API at plan",
			fmt.Sprintf("%v.\n\nNothing answered at the API's address: check the provider's base_url (or COMPSHARE_BASE_URL), and the network. "+
				"The wait will try again during apply, and fail after a minute if nothing answers.", err))
		return
	case compshare.IsTransient(err) || compshare.IsUnreadable(err):
		// The wait rides such faults out: they must not block the apply.
		resp.Diagnostics.AddWarning("Cannot read image "+imageID+" at plan",
			fmt.Sprintf("%v.\n\nThe API could not be read now; the wait will check the image during apply.", err))
		return
	case err != nil:
		resp.Diagnostics.Append(imageErrorDiagnostic(ctx, r.data.client, err))
		return
	}
	// Warned whenever the build is short of its target: a create waits, and
	// so does a replacement that the provider cannot see from here
	// (-replace, replace_triggered_by).
	target := plan.TargetProgress.ValueFloat64()
	if plan.TargetProgress.IsUnknown() || p.Percent >= target {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.AddWarning("Image "+imageID+" was still being built at plan time", waitForecast(p, target, timeout))
}

// waitForecast tells where a build stands and how long apply will wait, in
// the words of imagewait.TimeLeft.
func waitForecast(p compshare.Progress, target float64, timeout time.Duration) string {
	var b strings.Builder
	// Worded to stay true after apply too, where Terraform shows the warning
	// of the plan that apply makes once more.
	fmt.Fprintf(&b, "At plan time the image was %s %% built, %s; apply waits until it reaches %s %%", imagewait.FormatPercent(p.Percent), imagewait.TimeLeft(p, target, 0), imagewait.FormatPercent(target))
	if eta, ok := schedule.ETA(imagewait.Observe(p, time.Now()), target); ok && eta > timeout {
		fmt.Fprintf(&b, ", longer than timeouts.create (%s) allows: raise it, or apply will fail and can be run again.", timeout)
	} else {
		fmt.Fprintf(&b, " (timeouts.create: %s).", timeout)
	}
	return b.String()
}

func (r *imageWaitResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageWaitModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	maxInterval, _ := time.ParseDuration(plan.MaxPollInterval.ValueString()) // checked by its validator

	imageID := plan.ImageID.ValueString()
	waitReq := r.data.waitRequest(plan.Region.ValueString(), plan.Zone.ValueString(), imageID, plan.TargetProgress.ValueFloat64(), maxInterval)
	p, err := runWait(ctx, r.data.client, waitReq, timeout, nil)
	if err != nil {
		resp.Diagnostics.Append(waitErrorDiagnostic(imageID, "timeouts.create", aftermath{stopped: " Nothing was saved: the next apply waits again."}, err))
		return
	}

	plan.ID = types.StringValue(imageID)
	plan.set(p)
	plan.CompletedAt = types.StringValue(time.Now().UTC().Format(time.RFC3339))
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newImageIdentity(plan.Region.ValueString(), plan.Zone.ValueString(), imageID))...)
}

func (r *imageWaitResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageWaitModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	imageID := state.ImageID.ValueString()
	region, zone := state.resolve(r.data)
	// Set first: the framework wants an identity even of a resource Read
	// removes, when the CLI (OpenTofu) keeps none.
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newImageIdentity(region, zone, imageID))...)
	p, err := r.data.client.ImageProgress(ctx, region, zone, imageID)
	if compshare.IsNotFound(err) {
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the API no longer knows the image; removing the wait from state", map[string]any{"image_id": imageID})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	state.ID = types.StringValue(imageID)
	state.Region, state.Zone = types.StringValue(region), types.StringValue(zone)
	state.set(p)
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
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newImageIdentity(plan.Region.ValueString(), plan.Zone.ValueString(), plan.ImageID.ValueString()))...) // none yet in a state written without identity
}

// Delete forgets the wait; the image itself is not touched.
func (r *imageWaitResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// ImportState accepts IMAGE_ID or REGION/ZONE/IMAGE_ID, or an identity.
func (r *imageWaitResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	target, ok, diags := importTarget(ctx, req, r.data)
	if resp.Diagnostics.Append(diags...); !ok {
		return
	}
	region, zone, imageID := target.Region.ValueString(), target.Zone.ValueString(), target.ImageID.ValueString()

	// Import adopts a build finished to 100 % (the configuration's
	// target_progress is not visible here), never one that apply would still
	// have to wait for.
	p, err := r.data.client.ImageProgress(ctx, region, zone, imageID)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	if p.Percent < defaultTargetProgress {
		resp.Diagnostics.AddError("Cannot import an unfinished image build",
			fmt.Sprintf("Image %s is %s %% built, short of %s %%. Import only finished builds; to wait for this one, let terraform apply create the resource.",
				imageID, imagewait.FormatPercent(p.Percent), imagewait.FormatPercent(defaultTargetProgress)))
		return
	}
	state := imageWaitModel{
		ID: types.StringValue(imageID), ImageID: types.StringValue(imageID),
		locationModel:   locationModel{Region: types.StringValue(region), Zone: types.StringValue(zone)},
		TargetProgress:  types.Float64Value(defaultTargetProgress),
		MaxPollInterval: types.StringValue(schedule.DefaultMaxInterval.String()),
		Triggers:        types.MapNull(types.StringType),
		Timeouts:        timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"create": types.StringType})},
		CompletedAt:     types.StringValue(time.Now().UTC().Format(time.RFC3339)),
	}
	state.set(p)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, target)...)
}

// IdentitySchema is {region, zone, image_id}: see imageIdentity.
func (r *imageWaitResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = imageIdentitySchema()
}
