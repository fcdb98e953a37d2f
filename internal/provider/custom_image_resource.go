package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
	"github.com/compshare/terraform-provider-compshare/internal/lifecycle"
)

// defaultDeleteTimeout is the default of timeouts.delete.
const defaultDeleteTimeout = 10 * time.Minute

var (
	_ resource.ResourceWithConfigure      = (*customImageResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*customImageResource)(nil)
	_ resource.ResourceWithImportState    = (*customImageResource)(nil)
	_ resource.ResourceWithValidateConfig = (*customImageResource)(nil)
	_ resource.ResourceWithIdentity       = (*customImageResource)(nil)
)

func newCustomImageResource() resource.Resource { return &customImageResource{} }

type customImageResource struct {
	data *providerData
}

type customImageModel struct {
	ID      types.String `tfsdk:"id"`
	UHostID types.String `tfsdk:"uhost_id"`
	locationModel
	imageModel
	Progress types.Float64  `tfsdk:"progress"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *customImageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_custom_image"
}

func (r *customImageResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keepString := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "Builds a custom image from an instance (API action `CreateCompShareCustomImage`) and waits during apply until " +
			"the platform lists it as `Available`, so that resources using `id` are created only once the image can be used. " +
			"A build that fails, times out or is interrupted stays in state, tainted: the next apply replaces it, or, after " +
			"`terraform untaint`, waits for it. Destroying it deletes the image (`TerminateCompShareCustomImage`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				PlanModifiers: keepString,
				Description:   "The image id (`CompShareImageId`), such as `compshareImage-xxxx`.",
			},
			"uhost_id": schema.StringAttribute{
				Optional:   true,
				Validators: uhostIDValidators,
				Description: "Id of the instance to build the image from (`UHostId`, such as `uhost-xxxx`); the plan fails when the instance does not exist. " +
					"The platform builds one image of an instance at a time: images of the same instance in one configuration are built one after the other. " +
					"Changing it builds a new image. Required to build an image; an image adopted by import (such as the configuration " +
					"`terraform query -generate-config-out` writes) may leave it unset, as the image list does not say which instance an image came from.",
			},
			"name": schema.StringAttribute{
				Required:   true,
				Validators: nonEmpty,
				Description: "Name of the image; no other image of the account may have it. The plan names the image that does: a rename " +
					"fails there; a new image only warns, since it may be the image this resource held before it was tainted (which apply " +
					"deletes first), and apply fails if it is not. Renamed in place.",
			},
			"description": schema.StringAttribute{
				Optional:      true,
				Computed:      true,
				Validators:    nonEmpty,
				PlanModifiers: keepString,
				Description: "Description of the image. Changed in place. The API cannot clear it: removed from the configuration, " +
					"it stays as it is on the platform.",
			},
			"tags": schema.SetAttribute{
				ElementType:   types.StringType,
				Optional:      true,
				Computed:      true,
				Validators:    []validator.Set{nonEmptySet},
				PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
				Description: "Tags of the image, a set of strings. Changed in place. The API cannot clear them: removed from the " +
					"configuration, they stay as they are on the platform.",
			},
			"region": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Validators:  nonEmpty,
				Description: "Region of the instance and the image. Defaults to the provider's `region`. Changing it, or the provider's default when unset, builds a new image.",
			},
			"zone": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Validators:  nonEmpty,
				Description: "Zone of the instance and the image. Defaults to the provider's `zone`. Changing it, or the provider's default when unset, builds a new image.",
			},
			"status": schema.StringAttribute{
				Computed: true,
				Description: "Status as `DescribeCompShareCustomImages` lists it: " + compshare.ImageStatusGlossary() +
					". An image that becomes `UnAvailable` or `Offline` is replaced by the next apply.",
			},
			"failed_reason": schema.StringAttribute{
				Computed:    true,
				Description: "Why the build failed (`FailedReason`); empty when it did not, or when the API gives no reason.",
			},
			"size_mb": schema.Int64Attribute{
				Computed:      true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
				Description:   "Size of the image in MB (`Size`).",
			},
			"created_at": schema.StringAttribute{
				Computed:      true,
				PlanModifiers: keepString,
				Description:   "When the image was created (`CreateTime`), RFC 3339 in UTC.",
			},
			"container": schema.BoolAttribute{
				Computed:      true,
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				Description:   "Whether it is a container image (`Container`), else a VM image.",
			},
			"source_gpu_type": schema.StringAttribute{
				Computed:      true,
				PlanModifiers: keepString,
				Description:   "GPU type of the instance it was built from (`SourceGpuType`), such as `4090`.",
			},
			"progress": schema.Float64Attribute{
				Computed:      true,
				PlanModifiers: []planmodifier.Float64{float64planmodifier.UseStateForUnknown()},
				Description:   "Percent of the build done when last read, 0 to 100 (`GetCompShareImageCreateProgress`).",
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long apply waits for a new build, such as `90m`, time queued behind another build of the same instance included. Defaults to `60m`.",
				UpdateDescription: "How long apply waits for a build kept with `terraform untaint`, such as `90m`. Defaults to `60m`.",
				DeleteDescription: "How long destroy waits for the image to leave the list. Defaults to `10m`.",
			}),
		},
	}
}

func (r *customImageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region and timeouts that would
// end a wait before it starts.
func (r *customImageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config customImageModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(config.checkZone(nil)...)
	if config.Timeouts.IsNull() || config.Timeouts.IsUnknown() {
		return
	}
	resp.Diagnostics.Append(checkTimeouts(ctx, timeoutValue{"create", config.Timeouts.Create},
		timeoutValue{"update", config.Timeouts.Update}, timeoutValue{"delete", config.Timeouts.Delete})...)
}

func (r *customImageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan customImageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	region, zone, uhostID := plan.Region.ValueString(), plan.Zone.ValueString(), plan.UHostID.ValueString()

	// The platform builds one image of an instance at a time.
	release, err := r.data.builds.acquire(ctx, instanceKey(region, zone, uhostID))
	if err != nil {
		resp.Diagnostics.AddError("Image "+plan.Name.ValueString()+" was not built",
			fmt.Sprintf("The wait for another build of instance %s to end %s, within timeouts.create. Nothing was built or saved.", uhostID, interruption(err)))
		return
	}
	defer release()

	spec := compshare.NewImage{UHostID: uhostID, Name: plan.Name.ValueString(), Description: plan.Description.ValueString()}
	build, err := r.images().Create(ctx, region, zone, spec)
	if err != nil {
		resp.Diagnostics.Append(createErrorDiagnostic(region, zone, spec, err))
		return
	}
	imageID := build.ID
	tflog.SubsystemInfo(logContext(ctx), logSubsystem, "started image build", map[string]any{"image_id": imageID, "uhost_id": uhostID})
	resp.Diagnostics.Append(markBuildStarted(ctx, resp.Private, time.Now())...)

	// Recorded at once: a failure, a timeout or Ctrl-C from here on leaves
	// the image in state (tainted), never unknown to Terraform.
	plan.ID = types.StringValue(imageID)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newImageIdentity(region, zone, imageID))...)
	plan.Status, plan.FailedReason, plan.Progress = types.StringValue(compshare.StatusMaking), types.StringValue(""), types.Float64Value(0)
	if plan.Description.IsUnknown() {
		plan.Description = types.StringValue(spec.Description)
	}
	plan.SizeMB, plan.CreatedAt, plan.Container, plan.SourceGpuType = types.Int64Value(0), types.StringNull(), types.BoolValue(false), types.StringValue("")
	if plan.Tags.IsUnknown() {
		plan.Tags = types.SetValueMust(types.StringType, []attr.Value{})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if build.Lost != nil { // the build was found by its name, after a lost answer
		if ctx.Err() != nil {
			resp.Diagnostics.Append(lostBuildStoppedDiagnostic(imageID, build.Lost, ctx.Err()))
			return
		}
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the answer to the build request was lost; found the build by its name",
			map[string]any{"image_id": imageID, "error": build.Lost.Error()})
	}
	tags := setStrings(plan.Tags)
	if !r.waitAndSave(ctx, &plan, "timeouts.create", afterCreate, resp.State.Set, &resp.Diagnostics) {
		return
	}
	if len(tags) > 0 {
		// CreateCompShareCustomImage takes no tags: they are set once the
		// image is listed, which a new id is not at first.
		if err := r.data.client.UpdateImage(ctx, region, zone, imageID, compshare.ImageUpdate{Tags: tags}); err != nil {
			d := apiErrorDiagnostic(err)
			resp.Diagnostics.AddError("Tags of image "+imageID+" not set", d.Detail()+" The image stays in state, tainted: the next apply replaces it.")
			return
		}
		plan.Tags = types.SetValueMust(types.StringType, tagValues(tags))
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

// images is the custom image's lifecycle on this provider's client, logging
// each pause at debug level.
func (r *customImageResource) images() lifecycle.Images {
	return lifecycle.Images{API: r.data.client, Log: func(ctx context.Context, msg string, fields map[string]any) {
		tflog.SubsystemDebug(logContext(ctx), logSubsystem, msg, fields)
	}}
}

// waitAndSave waits until the build is usable, then reads the image into
// model and saves it, and reports whether all went well. Whatever ends the
// wait early, the image stays in state, with what is known of it, and the
// error says what follows.
func (r *customImageResource) waitAndSave(ctx context.Context, model *customImageModel, timeoutAttribute string, next aftermath,
	save func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) bool {
	imageID, region, zone := model.ID.ValueString(), model.Region.ValueString(), model.Zone.ValueString()
	req := r.data.waitRequest(region, zone, imageID, 100, 0)
	// The build was started, or its image read, a moment ago.
	req.MayBeNew, req.Answered = true, true
	deadline, _ := ctx.Deadline()
	p, waitErr := runWait(ctx, r.data.client, req, time.Until(deadline), nil)
	if waitErr == nil {
		model.Progress = types.Float64Value(p.Percent)
	}

	// The wait's own context may be over: read what the image is now on a
	// short one of its own.
	readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	img, readErr := r.data.client.Image(readCtx, region, zone, imageID)
	switch {
	case readErr == nil:
		diags.Append(model.setAfterApply(img)...)
	case waitErr == nil:
		// The wait saw it Available: a failed read must not taint a good
		// image; the next refresh fills in the rest.
		model.Status = types.StringValue(compshare.StatusAvailable)
		diags.AddWarning("Image "+imageID+" is built but could not be read", apiErrorDiagnostic(readErr).Detail())
		readErr = nil
	}
	diags.Append(save(ctx, model)...)

	switch {
	case waitErr != nil:
		diags.Append(waitErrorDiagnostic(imageID, timeoutAttribute, next, waitErr))
	case readErr != nil:
		diags.Append(apiErrorDiagnostic(readErr))
	}
	return !diags.HasError()
}

func (r *customImageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state customImageModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	imageID := state.ID.ValueString()
	region, zone := state.resolve(r.data)
	// Set first: the framework wants an identity even of a resource Read
	// removes, when the CLI (OpenTofu) keeps none.
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newImageIdentity(region, zone, imageID))...)
	img, err := r.data.client.Image(ctx, region, zone, imageID)
	if compshare.IsNotFound(err) && state.CreatedAt.IsNull() && buildStartedMomentsAgo(ctx, req.Private) {
		// An interrupted create refreshed at once: an image never listed
		// (no created_at) whose build started moments ago may be unknown
		// to the API yet, which is no proof that it is gone.
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the image was built moments ago and is not listed yet; keeping it in state", map[string]any{"image_id": imageID})
		return
	}
	if compshare.IsNotFound(err) {
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the image is no longer listed; removing it from state", map[string]any{"image_id": imageID})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	state.Region, state.Zone = types.StringValue(region), types.StringValue(zone)
	resp.Diagnostics.Append(state.set(img)...)
	// A progress that cannot be read now is no reason to fail the refresh.
	if progress, _ := imageProgress(ctx, r.data.client, region, zone, img); !progress.IsNull() {
		state.Progress = progress
	} else if state.Progress.IsNull() {
		state.Progress = types.Float64Value(0)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update renames and changes description and tags in place, and waits for a
// build that the state records as not yet usable (kept with terraform untaint).
func (r *customImageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state customImageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	imageID, region, zone := state.ID.ValueString(), plan.Region.ValueString(), plan.Zone.ValueString()
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newImageIdentity(region, zone, imageID))...) // none yet in a state written without identity

	change := imageChange(plan.imageModel, state.imageModel)
	if err := r.data.client.UpdateImage(ctx, region, zone, imageID, change); err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	plan.ID = state.ID
	plan.imageModel = mergeImage(plan.imageModel, state.imageModel)
	if plan.Progress.IsUnknown() {
		plan.Progress = state.Progress
	}
	if compshare.MeaningOf(state.Status.ValueString()) == compshare.ImageBuilding {
		if !plan.UHostID.IsNull() {
			// The build holds its instance's turn while it is waited for.
			release, err := r.data.builds.acquire(ctx, instanceKey(region, zone, plan.UHostID.ValueString()))
			if err != nil {
				resp.Diagnostics.AddError("Wait for image "+imageID+" "+interruption(err), "Another build of the same instance did not end in time."+afterUpdate.stopped)
				return
			}
			defer release()
		}
		r.waitAndSave(ctx, &plan, "timeouts.update", afterUpdate, resp.State.Set, &resp.Diagnostics)
		return
	}
	if change.Name == nil && change.Description == nil && change.Tags == nil {
		// Only uhost_id (recorded after an import) or the timeouts changed:
		// nothing to ask the API.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	if img, err := r.data.client.Image(ctx, region, zone, imageID); err == nil {
		resp.Diagnostics.Append(plan.setAfterApply(img)...)
	} else {
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "cannot read the image after its update; the next refresh will", map[string]any{"image_id": imageID, "error": err.Error()})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete deletes the image and waits until the list no longer shows it; an
// image already gone is deleted.
func (r *customImageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state customImageModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	imageID, region, zone := state.ID.ValueString(), state.Region.ValueString(), state.Zone.ValueString()

	// An image never listed (no created_at: a create interrupted moments
	// ago) may be unknown to the API for a while. (Private state, which
	// says when the build started, does not reach the Delete of a
	// replacement.)
	err := r.images().Delete(ctx, region, zone, imageID, state.CreatedAt.IsNull())
	var timedOut *lifecycle.TimeoutError
	switch {
	case err == nil:
	case compshare.IsPublished(err):
		resp.Diagnostics.AddError("Cannot delete image "+imageID, apiErrorDiagnostic(err).Detail()+
			"\n\nThe image is published to the community (Visibility 1), and must be withdrawn before it can be deleted: "+
			"withdraw it in the Compshare console, then destroy again.")
	case errors.As(err, &timedOut) && compshare.IsNotFound(err):
		resp.Diagnostics.AddError("Deletion of image "+imageID+" "+interruption(err),
			"The image was built moments ago and the API does not know it yet ("+err.Error()+"); destroy again in a minute, or raise timeouts.delete.")
	case errors.As(err, &timedOut):
		resp.Diagnostics.AddError("Wait for image "+imageID+" to leave the list "+interruption(err),
			"The deletion was accepted but the image is still listed ("+err.Error()+"); raise timeouts.delete or destroy again.")
	default:
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
	}
}

// buildStartedKey is the private state key of when Create started the
// build, a JSON time.
const buildStartedKey = "build_started"

// markBuildStarted records in private state that the build started at t.
func markBuildStarted(ctx context.Context, private privateSetter, t time.Time) diag.Diagnostics {
	return markMoment(ctx, private, buildStartedKey, "when the build started", t)
}

// buildStartedMomentsAgo reports whether private state records that Create
// started the build less than imagewait.NewImageWindow ago: the API may not
// know the image yet.
func buildStartedMomentsAgo(ctx context.Context, private privateGetter) bool {
	return momentWithin(ctx, private, buildStartedKey, imagewait.NewImageWindow)
}

// ImportState accepts IMAGE_ID or REGION/ZONE/IMAGE_ID, or an identity;
// Read fills the rest. The image list does not say which instance an image
// came from: the first apply records uhost_id from the configuration in place.
func (r *customImageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	target, ok, diags := importTarget(ctx, req, r.data)
	if resp.Diagnostics.Append(diags...); !ok {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), target.ImageID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("region"), target.Region)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("zone"), target.Zone)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, target)...)
}

// IdentitySchema is {region, zone, image_id}: see imageIdentity.
func (r *customImageResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = imageIdentitySchema()
}
