package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
)

// Defaults of the custom image's timeouts.
const (
	defaultDeleteTimeout = 10 * time.Minute
	// deletePollInterval spaces the lookups that wait for a deleted image
	// to leave the list.
	deletePollInterval = 2 * time.Second
)

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
				Optional:      true,
				Validators:    uhostIDValidators,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(recordedUHostChanged, "Changing it builds a new image.", "Changing it builds a new image.")},
				Description: "Id of the instance to build the image from (`UHostId`, such as `uhost-xxxx`); the plan fails when the instance does not exist. " +
					"The platform builds one image of an instance at a time: images of the same instance in one configuration are built one after the other. " +
					"Changing it builds a new image. Required to build an image; an image adopted by import (such as the configuration " +
					"`terraform query -generate-config-out` writes) may leave it unset, as the image list does not say which instance an image came from.",
			},
			"name": schema.StringAttribute{
				Required:    true,
				Validators:  nonEmpty,
				Description: "Name of the image; no other image of the account may have it (the plan fails naming the one that does). Renamed in place.",
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
				Description: "Status as `DescribeCompShareCustomImages` lists it: `Making` (being built), `Available`, `UnAvailable` " +
					"(failed or unusable), `Reviewing` or `Offline`. An image that becomes `UnAvailable` or `Offline` is replaced by the next apply.",
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

// recordedUHostChanged replaces the image only when the state records the
// instance it came from: an imported image does not know it (the image list
// does not say), and takes it from the configuration in place.
func recordedUHostChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsNull()
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

// ModifyPlan fills region and zone from the provider; checks, when they
// change, that the instance exists and that no other image has the name; and
// plans what the recorded status calls for: a replacement of an image that
// failed or was taken down, a wait for one still being built.
func (r *customImageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config customImageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	var state *customImageModel
	if !req.State.Raw.IsNull() {
		state = new(customImageModel)
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
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
	region, zone := plan.Region.ValueString(), plan.Zone.ValueString()
	if state != nil {
		// Remembered for the plan of its replacement, which Terraform makes
		// without state (-replace, a new uhost_id): its name is no clash.
		r.data.managedImages.Store(imageKey(state.Region.ValueString(), state.Zone.ValueString(), state.Name.ValueString()), state.ID.ValueString())
		switch verdict := imagewait.Judge(state.Status.ValueString()); {
		case verdict == imagewait.Failed:
			// A new build replaces it.
			plan.Status, plan.FailedReason, plan.Progress = types.StringUnknown(), types.StringUnknown(), types.Float64Unknown()
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("status"))
			resp.Diagnostics.AddWarning("Image "+state.ID.ValueString()+" will be replaced",
				fmt.Sprintf("The platform lists image %s as %s%s: apply builds a new image in its place.",
					state.ID.ValueString(), state.Status.ValueString(), reasonSuffix(state.FailedReason.ValueString())))
		case building(state.Status.ValueString()):
			// Kept with terraform untaint, or still being built: apply waits.
			plan.Status, plan.FailedReason, plan.Progress = types.StringUnknown(), types.StringUnknown(), types.Float64Unknown()
		case verdict == imagewait.Unknown:
			resp.Diagnostics.AddWarning("Image "+state.ID.ValueString()+" has an unknown status",
				fmt.Sprintf("The platform lists image %s as %q, a status this provider does not know; it is left as it is.", state.ID.ValueString(), state.Status.ValueString()))
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Region.IsUnknown() || plan.Zone.IsUnknown() {
		return
	}

	replacing := state == nil || !state.UHostID.Equal(plan.UHostID) && !state.UHostID.IsNull() && !plan.UHostID.IsNull() ||
		!state.Region.Equal(plan.Region) || !state.Zone.Equal(plan.Zone) || imagewait.Judge(state.Status.ValueString()) == imagewait.Failed
	if replacing && plan.UHostID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("uhost_id"), "Missing uhost_id",
			"Building an image needs uhost_id, the instance to build it from (such as uhost-xxxx). Only an image adopted by import may leave it unset, "+
				"and only while it is not replaced.")
		return
	}
	if replacing && !plan.UHostID.IsUnknown() {
		r.checkInstance(ctx, region, zone, plan.UHostID.ValueString(), &resp.Diagnostics)
	}
	if !plan.Name.IsUnknown() && (state == nil || !state.Name.Equal(plan.Name)) {
		// The image in state keeps its name, or is deleted before its
		// replacement is built.
		keep := ""
		if state != nil {
			keep = state.ID.ValueString()
		}
		r.checkNameFree(ctx, region, zone, plan.Name.ValueString(), keep, &resp.Diagnostics)
	}
}

// checkInstance fails the plan when the instance does not exist or the keys
// are refused; any other error only warns: apply will find out.
func (r *customImageResource) checkInstance(ctx context.Context, region, zone, uhostID string, diags *diag.Diagnostics) {
	_, err := r.data.client.Instance(ctx, region, zone, uhostID)
	switch {
	case err == nil:
	case compshare.IsNotFound(err):
		diags.AddAttributeError(path.Root("uhost_id"), "Instance not found",
			fmt.Sprintf("No instance %q in region %s, zone %s (%v). Check uhost_id, region and zone.", uhostID, region, zone, err))
	case compshare.IsCredentialsRefused(err):
		diags.Append(apiErrorDiagnostic(err))
	default:
		// The check only helps: apply reports what the build meets.
		diags.AddWarning("Cannot check instance "+uhostID+" at plan", fmt.Sprintf("%v.\n\nApply will start the build and report any problem then.", err))
	}
}

// checkNameFree fails the plan when a usable image other than keep, and other
// than the one of this configuration that the plan replaces, has the name; it
// warns when one still being built or failed has it (a tainted image of this
// configuration, whose replacement Terraform plans without telling which).
func (r *customImageResource) checkNameFree(ctx context.Context, region, zone, name, keep string, diags *diag.Diagnostics) {
	images, err := r.data.client.Images(ctx, region, zone)
	switch {
	case compshare.IsCredentialsRefused(err):
		diags.Append(apiErrorDiagnostic(err))
		return
	case err != nil:
		diags.AddWarning("Cannot check the image name at plan", fmt.Sprintf("%v.\n\nApply will report a name already in use.", err))
		return
	}
	replaced, _ := r.data.managedImages.Load(imageKey(region, zone, name))
	for _, img := range images {
		if img.Name != name || strings.EqualFold(img.ID, keep) || replaced == img.ID {
			continue
		}
		// A tainted image of this configuration, replaced by this apply, is
		// not in the plan's state: it is deleted before the new build starts.
		if imagewait.Judge(img.Status) != imagewait.Usable {
			diags.AddWarning("Image name already in use",
				fmt.Sprintf("Image %s (%s) in region %s, zone %s already has the name %q. If it is the tainted image that this apply "+
					"replaces, it is deleted first and all is well; otherwise the build will be refused: choose another name.", img.ID, img.Status, region, zone, name))
			return
		}
		diags.AddAttributeError(path.Root("name"), "Image name already in use",
			fmt.Sprintf("Image %s (%s) in region %s, zone %s already has the name %q, and image names must differ. "+
				"Choose another name, or import that image: terraform import ADDRESS %s.", img.ID, img.Status, region, zone, name, img.ID))
		return
	}
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
	imageID, err := r.data.client.CreateImage(ctx, region, zone, spec)
	if err != nil && mayHaveStarted(err) {
		// The answer was lost, not the request: a build may be running
		// that only its name can tell.
		imageID = r.findBuild(ctx, region, zone, spec.Name)
	}
	if imageID == "" {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
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
	if err != nil { // the build was found by its name, after a lost answer
		if ctx.Err() != nil {
			resp.Diagnostics.Append(waitErrorDiagnostic(imageID, "timeouts.create", afterCreate, err))
			return
		}
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the answer to the build request was lost; found the build by its name",
			map[string]any{"image_id": imageID, "error": err.Error()})
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

// findBuildFor bounds how long Create looks for a build whose start it could
// not confirm: a new image may be missing from the list for a moment.
const findBuildFor = 15 * time.Second

// mayHaveStarted reports whether a failed CreateCompShareCustomImage may
// still have started a build: its answer was lost (a network fault, a
// gateway's error, an unreadable page) or the wait for it was given up. HTTP
// 429 surely did not, and the client retries it.
func mayHaveStarted(err error) bool {
	var e *compshare.Error
	if !errors.As(err, &e) || e.Status == http.StatusTooManyRequests {
		return false
	}
	return e.Transient || e.Unreadable || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// findBuild looks for the image named name for up to findBuildFor, also when
// ctx is over, and returns its id, or "" when there is none.
func (r *customImageResource) findBuild(ctx context.Context, region, zone, name string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), findBuildFor)
	defer cancel()
	for {
		images, err := r.data.client.Images(ctx, region, zone)
		for _, img := range images {
			if err == nil && img.Name == name {
				return img.ID
			}
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(deletePollInterval):
		}
	}
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

// What follows a build that a create or an update waited for in vain.
var (
	afterCreate = aftermath{
		failed: " The image stays in state, tainted: the next apply deletes it and builds a new one.",
		stopped: " The image stays in state, tainted: the next apply deletes it and builds a new one. To keep this build " +
			"instead, run terraform untaint on this resource; the next apply then waits for it.",
	}
	afterUpdate = aftermath{
		failed:  " The next apply deletes it and builds a new one.",
		stopped: " The image stays in state as it was: the next apply waits for it again.",
	}
)

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
	// Refresh comes before the plan, also of a tainted image, whose
	// replacement Terraform plans without state: its name is no clash.
	r.data.managedImages.Store(imageKey(region, zone, img.Name), imageID)
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

	var change compshare.ImageUpdate
	if !plan.Name.Equal(state.Name) {
		change.Name = plan.Name.ValueStringPointer()
	}
	if !plan.Description.IsUnknown() && !plan.Description.IsNull() && !plan.Description.Equal(state.Description) {
		change.Description = plan.Description.ValueStringPointer()
	}
	if !plan.Tags.IsUnknown() && !plan.Tags.IsNull() && !plan.Tags.Equal(state.Tags) {
		change.Tags = setStrings(plan.Tags)
	}
	if err := r.data.client.UpdateImage(ctx, region, zone, imageID, change); err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	plan.ID = state.ID
	plan.imageModel = mergeImage(plan.imageModel, state.imageModel)
	if plan.Progress.IsUnknown() {
		plan.Progress = state.Progress
	}
	if building(state.Status.ValueString()) {
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

	err := r.data.client.DeleteImage(ctx, region, zone, imageID)
	// An image never listed (no created_at: a create interrupted moments
	// ago) may be unknown to the API for a while: not-found then is no
	// proof that it is gone, and taking it for one would leave the build
	// running on the platform, unknown to Terraform. (Private state, which
	// says when the build started, does not reach the Delete of a
	// replacement: the window counts from here.)
	unknownUntil := time.Now().Add(imagewait.NewImageWindow)
	for pause := time.Second; compshare.IsNotFound(err) && state.CreatedAt.IsNull() && time.Now().Before(unknownUntil); pause = min(2*pause, 8*time.Second) {
		select {
		case <-ctx.Done():
			resp.Diagnostics.AddError("Timed out deleting image "+imageID,
				"The image was built moments ago and the API does not know it yet; destroy again in a minute, or raise timeouts.delete.")
			return
		case <-time.After(pause):
		}
		err = r.data.client.DeleteImage(ctx, region, zone, imageID)
	}
	switch {
	case compshare.IsNotFound(err):
		return
	case err != nil:
		d := apiErrorDiagnostic(err)
		var e *compshare.Error
		if errors.As(err, &e) && e.RetCode != 0 && !e.Transient && !compshare.IsCredentialsRefused(err) {
			// Refused on its merits: the public page names one reason.
			d = diag.NewErrorDiagnostic("Cannot delete image "+imageID, d.Detail()+
				"\n\nAn image published to the community must be withdrawn before it can be deleted: withdraw it in the Compshare console, then destroy again.")
		}
		resp.Diagnostics.Append(d)
		return
	}
	for {
		_, err := r.data.client.Image(ctx, region, zone, imageID)
		switch {
		case compshare.IsNotFound(err):
			return
		case ctx.Err() != nil:
			resp.Diagnostics.AddError("Timed out waiting for image "+imageID+" to be deleted",
				"The deletion was accepted but the image is still listed; raise timeouts.delete or destroy again.")
			return
		case err != nil && !compshare.IsTransient(err) && !compshare.IsUnreadable(err):
			resp.Diagnostics.Append(apiErrorDiagnostic(err))
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(deletePollInterval):
		}
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

// tagValues turns tags into the elements of a set of strings.
func tagValues(tags []string) []attr.Value {
	out := make([]attr.Value, len(tags))
	for i, t := range tags {
		out[i] = types.StringValue(t)
	}
	return out
}

// setStrings returns the strings of a known set of strings.
func setStrings(s types.Set) []string {
	out := make([]string, 0, len(s.Elements()))
	for _, e := range s.Elements() {
		if v, ok := e.(types.String); ok {
			out = append(out, v.ValueString())
		}
	}
	return out
}

// mergeImage keeps the state's value of every attribute the plan left unknown.
func mergeImage(plan, state imageModel) imageModel {
	pick := func(p, s types.String) types.String {
		if p.IsUnknown() {
			return s
		}
		return p
	}
	plan.Description, plan.Status, plan.FailedReason = pick(plan.Description, state.Description), pick(plan.Status, state.Status), pick(plan.FailedReason, state.FailedReason)
	plan.CreatedAt, plan.SourceGpuType = pick(plan.CreatedAt, state.CreatedAt), pick(plan.SourceGpuType, state.SourceGpuType)
	if plan.Tags.IsUnknown() {
		plan.Tags = state.Tags
	}
	if plan.SizeMB.IsUnknown() {
		plan.SizeMB = state.SizeMB
	}
	if plan.Container.IsUnknown() {
		plan.Container = state.Container
	}
	return plan
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// building reports whether a status says the image is still being built,
// which apply waits for.
func building(status string) bool { return strings.EqualFold(status, compshare.StatusMaking) }

// instanceKey names an instance for the one-build-at-a-time rule.
func instanceKey(region, zone, uhostID string) string {
	return region + "/" + zone + "/" + strings.ToLower(uhostID)
}
