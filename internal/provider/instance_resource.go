package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/lifecycle"
)

// Defaults of the instance's timeouts: an instance starts in minutes; a
// held operation lock may last up to 10 minutes (API notes).
const (
	defaultInstanceCreateTimeout = 30 * time.Minute
	defaultInstanceUpdateTimeout = 30 * time.Minute
	defaultInstanceDeleteTimeout = 20 * time.Minute
)

// chargeTypes are the values of ChargeType (SDK's CreateCompShareInstanceRequest).
var chargeTypes = []string{"Month", "Day", "Dynamic", "Postpay", "Spot"}

// bootDiskTypes are the disk types of UCloud's disk type page, as the SDK names them.
var bootDiskTypes = []string{"CLOUD_SSD", "CLOUD_RSSD", "CLOUD_NORMAL", "LOCAL_NORMAL", "LOCAL_SSD"}

// noSpot are the GPU types the public instance pages say are not offered as Spot.
var noSpot = []string{"4090_48G", "A800", "H20", "P40", "2080"}

var (
	_ resource.ResourceWithConfigure      = (*instanceResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*instanceResource)(nil)
	_ resource.ResourceWithImportState    = (*instanceResource)(nil)
	_ resource.ResourceWithIdentity       = (*instanceResource)(nil)
	_ resource.ResourceWithValidateConfig = (*instanceResource)(nil)
)

func newInstanceResource() resource.Resource { return &instanceResource{} }

type instanceResource struct {
	data *providerData
}

type instanceModel struct {
	ID types.String `tfsdk:"id"`
	locationModel
	ImageID           types.String   `tfsdk:"image_id"`
	GpuType           types.String   `tfsdk:"gpu_type"`
	GPU               types.Int64    `tfsdk:"gpu"`
	CPU               types.Int64    `tfsdk:"cpu"`
	MemoryMB          types.Int64    `tfsdk:"memory_mb"`
	BootDiskType      types.String   `tfsdk:"boot_disk_type"`
	BootDiskSizeGB    types.Int64    `tfsdk:"boot_disk_size_gb"`
	ChargeType        types.String   `tfsdk:"charge_type"`
	Name              types.String   `tfsdk:"name"`
	SecurityGroupID   types.String   `tfsdk:"security_group_id"`
	PasswordWO        types.String   `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64    `tfsdk:"password_wo_version"`
	Running           types.Bool     `tfsdk:"running"`
	State             types.String   `tfsdk:"state"`
	IPs               types.List     `tfsdk:"ips"`
	CreatedAt         types.String   `tfsdk:"created_at"`
	ExpiresAt         types.String   `tfsdk:"expires_at"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

func (r *instanceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (r *instanceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keepString := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replaceString := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Description: "A Compshare GPU instance (API action `CreateCompShareInstance`), started from a custom image or a platform image. " +
			"Apply records the instance in state as soon as the API answers, then waits until it is `Running`; an instance whose " +
			"installation fails (`Install Fail`), or whose wait times out, stays in state, tainted, and the next apply replaces it. " +
			"Destroying it stops it, terminates it and waits until it is gone.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				PlanModifiers: keepString,
				Description:   "The instance id (`UHostId`), such as `uhost-xxxx`.",
			},
			"region": schema.StringAttribute{
				Optional: true, Computed: true, Validators: nonEmpty,
				Description: "Region of the instance. Defaults to the provider's `region`. Changing it creates a new instance.",
			},
			"zone": schema.StringAttribute{
				Optional: true, Computed: true, Validators: nonEmpty,
				Description: "Zone of the instance. Defaults to the provider's `zone`. Changing it creates a new instance.",
			},
			"image_id": schema.StringAttribute{
				Required:      true,
				Validators:    imageIDValidators,
				PlanModifiers: replaceString,
				Description: "Image to start the instance from (`CompShareImageId`): a custom image, such as `compshare_custom_image.x.id`, " +
					"or a platform image id. It must be `Available`: the plan fails when a custom image known at plan time is not. " +
					"Changing it creates a new instance.",
			},
			"gpu_type": schema.StringAttribute{
				Required: true, Validators: nonEmpty, PlanModifiers: replaceString,
				Description: "GPU type (`GpuType`), such as `4090`, `4090_48G`, `5090`, `A100`, `A800`, `H20` or `3090`. Changing it creates a new instance.",
			},
			"gpu": schema.Int64Attribute{
				Required: true, Validators: []validator.Int64{int64validator.Between(1, 10)},
				Description: "Number of GPUs (`GPU`): 1 to 8, 1 to 10 for `4090`. Changed in place by stopping the instance, resizing it " +
					"and starting it again: **the instance is stopped meanwhile**.",
			},
			"cpu": schema.Int64Attribute{
				Required: true, Validators: []validator.Int64{int64validator.Between(1, 64)},
				Description: "CPU cores (`CPU`). Changed in place by stopping the instance, resizing it and starting it again: **the instance is stopped meanwhile**.",
			},
			"memory_mb": schema.Int64Attribute{
				Required: true, Validators: []validator.Int64{int64validator.Between(1024, 262144), multipleOf(1024)},
				Description: "Memory in MB (`Memory`), a multiple of 1024. Changed in place by stopping the instance, resizing it and " +
					"starting it again: **the instance is stopped meanwhile**.",
			},
			"boot_disk_type": schema.StringAttribute{
				Optional: true, Computed: true,
				Validators:    []validator.String{stringvalidator.OneOf(bootDiskTypes...), stringvalidator.AlsoRequires(path.MatchRoot("boot_disk_size_gb"))},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplaceIfConfigured()},
				Description:   "Type of the boot disk: `CLOUD_SSD`, `CLOUD_RSSD`, `CLOUD_NORMAL`, `LOCAL_NORMAL` or `LOCAL_SSD`. Unset: the platform's default. Changing it creates a new instance.",
			},
			"boot_disk_size_gb": schema.Int64Attribute{
				Optional: true, Computed: true,
				Validators:    []validator.Int64{int64validator.AtLeast(1), int64validator.AlsoRequires(path.MatchRoot("boot_disk_type"))},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown(), int64planmodifier.RequiresReplaceIfConfigured()},
				Description:   "Size of the boot disk in GB. Unset: the platform's default. Changing it creates a new instance.",
			},
			"charge_type": schema.StringAttribute{
				Required: true, Validators: []validator.String{stringvalidator.OneOf(chargeTypes...)}, PlanModifiers: replaceString,
				Description: "How the instance is billed (`ChargeType`): `Month`, `Day` or `Dynamic` (hourly) are paid in advance; `Postpay` is paid " +
					"by the hour afterwards; `Spot` is a preemptible instance, not offered on every GPU type, that the platform may reclaim. " +
					"Changing it creates a new instance.",
			},
			"name": schema.StringAttribute{
				Required: true, Validators: []validator.String{stringvalidator.LengthBetween(1, 63)},
				Description: "Name of the instance (at most 63 characters). Renamed in place. No other instance of the zone may have it when " +
					"the instance is created (apply refuses, naming the one that has it, before anything is sent): when the answer to " +
					"the create request is lost on the way, the new instance is found by its name.",
			},
			"security_group_id": schema.StringAttribute{
				Optional: true, Validators: nonEmpty,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(recordedValueChanged,
					"Changing it creates a new instance.", "Changing it creates a new instance.")},
				Description: "Firewall (`SecurityGroupId`) of the instance; unset: the platform's default. The instance list does not show it, " +
					"so an imported instance takes it from the configuration. Changing it creates a new instance.",
			},
			"password_wo": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), stringvalidator.AlsoRequires(path.MatchRoot("password_wo_version"))},
				Description: "Login password of the instance, write-only (Terraform and OpenTofu 1.11 or later): it is sent to the API " +
					"(base64 encoded, as the API wants) and never stored in state or plan, nor logged. Set at creation; to change it later, " +
					"change `password_wo_version`. Unset: the platform's default login.",
			},
			"password_wo_version": schema.Int64Attribute{
				Optional:   true,
				Validators: []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("password_wo"))},
				Description: "Any number; changing it sets the password to `password_wo` in place (`ResetCompShareInstancePassword`). " +
					"An imported instance has none: setting one resets the password at the next apply.",
			},
			"running": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				Description: "Whether the instance runs. `false` stops it in place (a `Spot` instance with a forced stop, which it needs), " +
					"`true` starts it. Billing: the API documents that a `Postpay` instance is not billed while stopped (in the zones that " +
					"support it; its disks may still be); `Month`, `Day` and `Dynamic` are paid in advance, and nothing documents that " +
					"stopping them stops the bill; for `Spot` it is not documented.",
			},
			"state": schema.StringAttribute{
				Computed: true,
				Description: "State as `DescribeCompShareInstance` lists it: `Running` or `Stopped` after an apply; `Initializing`, `Starting`, " +
					"`Stopping`, `Rebooting`, `Resizing` while a change runs; `Install Fail` when the installation failed (the next apply replaces the instance).",
			},
			"ips": schema.ListAttribute{
				ElementType: types.StringType, Computed: true,
				PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				Description:   "IP addresses of the instance (`IPSet`), the default one first.",
			},
			"created_at": schema.StringAttribute{
				Computed: true, PlanModifiers: keepString,
				Description: "When the instance was created (`CreateTime`), RFC 3339 in UTC.",
			},
			"expires_at": schema.StringAttribute{
				Computed: true, PlanModifiers: keepString,
				Description: "When the prepaid period ends (`ExpireTime`), RFC 3339 in UTC; empty when the API gives none.",
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long apply waits for the instance to be `Running` (and stopped, with `running = false`). Defaults to `30m`.",
				UpdateDescription: "How long a change may take, waits for a held operation lock included. Defaults to `30m`.",
				DeleteDescription: "How long destroy waits for the instance to stop and be gone. Defaults to `20m`.",
			}),
		},
	}
}

// recordedValueChanged replaces the instance only when the state records the
// value: an imported instance does not know it (the list does not show it),
// and takes it from the configuration in place.
func recordedValueChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull()
}

func (r *instanceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses, before any call, what the API would: a zone
// outside the region, more than 8 GPUs but on a 4090 (10), Spot on a GPU type
// not offered as Spot, and timeouts that would end a wait before it starts.
func (r *instanceResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config instanceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(config.checkZone(nil)...)
	gpuType := config.GpuType.ValueString()
	if !config.GpuType.IsUnknown() && !config.GPU.IsUnknown() && !config.GPU.IsNull() && gpuType != "4090" && config.GPU.ValueInt64() > 8 {
		resp.Diagnostics.AddAttributeError(path.Root("gpu"), "Too many GPUs",
			fmt.Sprintf("An instance of GPU type %s has 1 to 8 GPUs (only 4090 instances have up to 10), got: %d.", gpuType, config.GPU.ValueInt64()))
	}
	if config.ChargeType.ValueString() == "Spot" && slices.Contains(noSpot, gpuType) {
		resp.Diagnostics.AddAttributeError(path.Root("charge_type"), "Spot not offered for GPU type "+gpuType,
			fmt.Sprintf("GPU type %s is not offered as Spot (nor are %s): choose another charge_type or gpu_type.", gpuType, strings.Join(noSpot, ", ")))
	}
	if !config.Timeouts.IsNull() && !config.Timeouts.IsUnknown() {
		resp.Diagnostics.Append(checkTimeouts(ctx, timeoutValue{"create", config.Timeouts.Create},
			timeoutValue{"update", config.Timeouts.Update}, timeoutValue{"delete", config.Timeouts.Delete})...)
	}
}

// life is the instance lifecycle on the provider's client, logging its
// waits and retries (the operation lock among them) at debug level.
func (r *instanceResource) life() lifecycle.Instances {
	return lifecycle.Instances{API: r.data.client, Log: func(ctx context.Context, msg string, fields map[string]any) {
		tflog.SubsystemDebug(logContext(ctx), logSubsystem, msg, fields)
	}}
}

// ModifyPlan fills region and zone, checks a known image is Available, plans
// the state apply leaves, and replaces an instance whose install failed.
func (r *instanceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	var state *instanceModel
	if !req.State.Raw.IsNull() {
		state = new(instanceModel)
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
	replacing := state == nil || len(resp.RequiresReplace) > 0 || !state.ImageID.Equal(plan.ImageID) ||
		!state.GpuType.Equal(plan.GpuType) || !state.ChargeType.Equal(plan.ChargeType) ||
		!state.SecurityGroupID.IsNull() && !state.SecurityGroupID.Equal(plan.SecurityGroupID) ||
		!config.BootDiskType.IsNull() && !state.BootDiskType.Equal(plan.BootDiskType) ||
		!config.BootDiskSizeGB.IsNull() && !state.BootDiskSizeGB.Equal(plan.BootDiskSizeGB)
	if state != nil && strings.EqualFold(state.State.ValueString(), compshare.StateInstallFail) {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("state"))
		resp.Diagnostics.AddWarning("Instance "+state.ID.ValueString()+" will be replaced",
			fmt.Sprintf("Instance %s is %s: apply terminates it and creates a new one.", state.ID.ValueString(), compshare.StateInstallFail))
		replacing = true
	}
	// Apply leaves the instance Running or Stopped, as running says.
	if !plan.Running.IsUnknown() {
		plan.State = types.StringValue(compshare.StateStopped)
		if plan.Running.ValueBool() {
			plan.State = types.StringValue(compshare.StateRunning)
		}
	}
	if replacing {
		plan.IPs, plan.CreatedAt, plan.ExpiresAt = types.ListUnknown(types.StringType), types.StringUnknown(), types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !replacing || plan.ImageID.IsUnknown() || plan.Region.IsUnknown() || plan.Zone.IsUnknown() {
		return
	}
	r.checkImage(ctx, plan.Region.ValueString(), plan.Zone.ValueString(), plan.ImageID.ValueString(), &resp.Diagnostics)
}

// checkImage fails the plan when the custom image is listed and not
// Available. An image the custom image list does not hold may be a
// platform image: apply finds out.
func (r *instanceResource) checkImage(ctx context.Context, region, zone, imageID string, diags *diag.Diagnostics) {
	img, err := r.data.client.Image(ctx, region, zone, imageID)
	switch {
	case compshare.IsNotFound(err):
	case compshare.IsCredentialsRefused(err):
		diags.Append(apiErrorDiagnostic(err))
	case err != nil:
		diags.AddWarning("Cannot check image "+imageID+" at plan", fmt.Sprintf("%v.\n\nApply will report a problem with the image.", err))
	case !compshare.MeaningOf(img.Status).Usable():
		diags.AddAttributeError(path.Root("image_id"), "Image not Available",
			fmt.Sprintf("Image %s in region %s, zone %s is %s%s: an instance can be created only from an Available image. "+
				"If it is still being built, make the instance depend on the build: use the id of its compshare_custom_image "+
				"resource, or of a compshare_image_wait, so that apply waits for it.", imageID, region, zone, img.Status, reasonSuffix(img.FailedReason)))
	}
}

func (r *instanceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var password types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("password_wo"), &password)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultInstanceCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	region, zone, name := plan.Region.ValueString(), plan.Zone.ValueString(), plan.Name.ValueString()

	// A lost create answer is recovered by the name, so the name must be
	// free: an instance that already has it may be the one an earlier lost
	// answer left unknown to Terraform, and creating another would pay for
	// a second GPU instance.
	before, err := r.data.client.InstancesNamed(ctx, region, zone, name)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	if len(before) > 0 {
		resp.Diagnostics.Append(instanceNameTakenDiagnostic(region, zone, name, before))
		return
	}
	spec := compshare.NewInstance{
		ImageID: plan.ImageID.ValueString(), GpuType: plan.GpuType.ValueString(), GPU: int(plan.GPU.ValueInt64()),
		CPU: int(plan.CPU.ValueInt64()), MemoryMB: int(plan.MemoryMB.ValueInt64()), ChargeType: plan.ChargeType.ValueString(),
		Name: name, SecurityGroupID: plan.SecurityGroupID.ValueString(), Password: password.ValueString(),
		BootDiskType: plan.BootDiskType.ValueString(), BootDiskSizeGB: int(plan.BootDiskSizeGB.ValueInt64()),
	}
	life := r.life()
	launch, err := life.Create(ctx, region, zone, spec)
	if err != nil {
		resp.Diagnostics.Append(instanceCreateErrorDiagnostic(spec, region, zone, err))
		return
	}
	id := launch.ID
	if launch.Lost != nil {
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the answer to the create request was lost; found the instance by its name",
			map[string]any{"uhost_id": id, "error": launch.Lost.Error()})
	}
	tflog.SubsystemInfo(logContext(ctx), logSubsystem, "created instance", map[string]any{"uhost_id": id})
	resp.Diagnostics.Append(markCreated(ctx, resp.Private, time.Now())...)

	// Recorded at once: a failure, a timeout or Ctrl-C from here on leaves
	// the instance in state (tainted), never unknown to Terraform.
	plan.ID = types.StringValue(id)
	plan.PasswordWO = types.StringNull()
	plan.State = types.StringValue(compshare.StateInitializing)
	plan.IPs, plan.CreatedAt, plan.ExpiresAt = types.ListValueMust(types.StringType, []attr.Value{}), types.StringNull(), types.StringNull()
	if plan.BootDiskType.IsUnknown() {
		plan.BootDiskType, plan.BootDiskSizeGB = types.StringNull(), types.Int64Null()
	}
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newInstanceIdentity(region, zone, id))...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}

	inst, err := life.Wait(ctx, region, zone, id, lifecycle.NewInstanceWindow, lifecycle.ToRunning)
	if err == nil && !plan.Running.ValueBool() {
		inst, err = life.Stop(ctx, region, zone, inst)
	}
	r.save(ctx, &plan, inst, err, resp.State.Set, &resp.Diagnostics)
	if err != nil {
		resp.Diagnostics.Append(instanceWaitDiagnostic(id, "timeouts.create",
			" The instance stays in state, tainted: the next apply terminates it and creates a new one.", err))
	}
}

// save records what was last read of the instance (inst, when it has an
// id) into model and state.
func (r *instanceResource) save(ctx context.Context, model *instanceModel, inst compshare.Instance, waitErr error, save func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) {
	if inst.UHostID == "" {
		// Nothing read: the wait's own context may be over; read on a short one.
		readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var err error
		if inst, err = r.data.client.Instance(readCtx, model.Region.ValueString(), model.Zone.ValueString(), model.ID.ValueString()); err != nil {
			if waitErr == nil {
				diags.Append(apiErrorDiagnostic(err))
			}
			diags.Append(save(ctx, model)...)
			return
		}
	}
	model.set(inst, true)
	diags.Append(save(ctx, model)...)
}

// set copies what the API lists of the instance into the model. keepPlan
// keeps the configured values the list may not show yet.
func (m *instanceModel) set(inst compshare.Instance, keepPlan bool) {
	m.State = types.StringValue(inst.State)
	m.PasswordWO = types.StringNull()
	ips := make([]attr.Value, 0, len(inst.IPs))
	for _, ip := range inst.IPs {
		ips = append(ips, types.StringValue(ip.IP))
	}
	m.IPs = types.ListValueMust(types.StringType, ips)
	m.CreatedAt, m.ExpiresAt = timeValue(inst.CreatedAt), timeValue(inst.ExpiresAt)
	disk, hasDisk := inst.BootDisk()
	if keepPlan {
		if hasDisk && (m.BootDiskType.IsNull() || m.BootDiskType.IsUnknown()) {
			m.BootDiskType, m.BootDiskSizeGB = types.StringValue(disk.Type), types.Int64Value(int64(disk.SizeGB))
		}
		return
	}
	m.Name, m.ImageID, m.GpuType = types.StringValue(inst.Name), types.StringValue(inst.ImageID), types.StringValue(inst.GpuType)
	m.GPU, m.CPU, m.MemoryMB = types.Int64Value(int64(inst.GPU)), types.Int64Value(int64(inst.CPU)), types.Int64Value(int64(inst.MemoryMB))
	m.ChargeType = types.StringValue(inst.ChargeType)
	if hasDisk {
		m.BootDiskType, m.BootDiskSizeGB = types.StringValue(disk.Type), types.Int64Value(int64(disk.SizeGB))
	}
	switch {
	case strings.EqualFold(inst.State, compshare.StateStopped), strings.EqualFold(inst.State, compshare.StateStopping):
		m.Running = types.BoolValue(false)
	case strings.EqualFold(inst.State, compshare.StateRunning), strings.EqualFold(inst.State, compshare.StateStarting),
		strings.EqualFold(inst.State, compshare.StateInitializing), strings.EqualFold(inst.State, compshare.StateRebooting):
		m.Running = types.BoolValue(true)
	case m.Running.IsNull() || m.Running.IsUnknown():
		m.Running = types.BoolValue(false) // a failed install, or a word unknown: not known to run
	}
}

func timeValue(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// instanceCreateErrorDiagnostic explains why no instance was created.
func instanceCreateErrorDiagnostic(spec compshare.NewInstance, region, zone string, err error) diag.Diagnostic {
	var lost *lifecycle.LostInstanceError
	nothing := "\n\nNothing was created and nothing was saved in state."
	switch compshare.Classify(err) {
	case compshare.SoldOut:
		return diag.NewAttributeErrorDiagnostic(path.Root("gpu_type"), fmt.Sprintf("GPU type %s is sold out in zone %s", spec.GpuType, zone),
			fmt.Sprintf("%v.%s Not retried: stock comes back at the platform's pace, not within an apply. Try another zone of region %s, "+
				"another gpu_type, fewer GPUs (gpu = %d now), or later; the Compshare console shows the free GPUs of each zone.", err, nothing, region, spec.GPU))
	case compshare.QuotaReached:
		return diag.NewErrorDiagnostic("Instance quota reached",
			fmt.Sprintf("%v.%s The account holds as many instances as its level allows (1 before the first top-up, then 5 to 100): "+
				"terminate an instance, or raise the quota in the Compshare console.", err, nothing))
	case compshare.ImageNotReady:
		return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), "Image "+spec.ImageID+" is not Available",
			fmt.Sprintf("%v.%s An instance can be created only from an Available image: make the instance depend on the image's build "+
				"(the id of its compshare_custom_image or compshare_image_wait).", err, nothing))
	case compshare.AccountBlocked:
		return diag.NewErrorDiagnostic("The account cannot create instances",
			fmt.Sprintf("%v.%s The platform refuses creation while bills are unpaid (226601) or before real-name verification (226606): see the Compshare console.", err, nothing))
	}
	if errors.As(err, &lost) {
		return diag.NewErrorDiagnostic("Instance "+spec.Name+" may have been created", err.Error()+".")
	}
	d := apiErrorDiagnostic(err)
	return diag.NewErrorDiagnostic(d.Summary(), d.Detail()+nothing)
}

// instanceWaitDiagnostic explains why a wait for an instance ended early.
func instanceWaitDiagnostic(uhostID, timeoutAttribute, next string, err error) diag.Diagnostic {
	var failed *lifecycle.StatusError
	var timeout *lifecycle.TimeoutError
	switch {
	case errors.As(err, &failed):
		return diag.NewErrorDiagnostic("Instance "+uhostID+" failed: "+failed.Status,
			fmt.Sprintf("The platform lists instance %s as %q: its installation failed.%s", uhostID, failed.Status, next))
	case errors.Is(err, context.Canceled):
		return diag.NewErrorDiagnostic("Wait for instance "+uhostID+" interrupted", err.Error()+"."+next)
	case compshare.Classify(err) == compshare.SoldOut:
		return diag.NewAttributeErrorDiagnostic(path.Root("gpu"), "Not enough GPUs free for instance "+uhostID,
			fmt.Sprintf("%v.\n\nThe instance keeps its size, and runs again if it ran. Try fewer GPUs, or later.%s", err, next))
	case errors.As(err, &timeout) && compshare.IsBusy(err):
		return diag.NewErrorDiagnostic("Timed out waiting for the operation lock of instance "+uhostID,
			fmt.Sprintf("%v: another operation held the instance's lock (it may last up to 10 minutes); raise %s, or apply again later.%s", err, timeoutAttribute, next))
	case errors.As(err, &timeout):
		return diag.NewErrorDiagnostic("Timed out waiting for instance "+uhostID,
			fmt.Sprintf("%v; raise %s if the instance needs longer.%s", err, timeoutAttribute, next))
	}
	d := apiErrorDiagnostic(err)
	return diag.NewErrorDiagnostic(d.Summary(), d.Detail()+next)
}

func (r *instanceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state instanceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	region, zone := state.resolve(r.data)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newInstanceIdentity(region, zone, id))...)
	inst, err := r.data.client.Instance(ctx, region, zone, id)
	if compshare.IsNotFound(err) && state.CreatedAt.IsNull() && createdMomentsAgo(ctx, req.Private) {
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the instance was created moments ago and is not listed yet; keeping it in state", map[string]any{"uhost_id": id})
		return
	}
	if compshare.IsNotFound(err) {
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the instance is no longer listed; removing it from state", map[string]any{"uhost_id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	state.Region, state.Zone = types.StringValue(region), types.StringValue(zone)
	state.set(inst, false)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update renames, resets the password, resizes (stop, resize, start) and
// starts or stops the instance, riding out the operation lock.
func (r *instanceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	var password types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("password_wo"), &password)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultInstanceUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id, region, zone := state.ID.ValueString(), plan.Region.ValueString(), plan.Zone.ValueString()
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newInstanceIdentity(region, zone, id))...)
	plan.ID, plan.PasswordWO = state.ID, types.StringNull()
	for _, kept := range []struct{ plan, state *types.String }{{&plan.CreatedAt, &state.CreatedAt}, {&plan.ExpiresAt, &state.ExpiresAt}} {
		if kept.plan.IsUnknown() {
			*kept.plan = *kept.state
		}
	}
	if plan.IPs.IsUnknown() {
		plan.IPs = state.IPs
	}
	life := r.life()
	client := r.data.client
	fail := func(err error) {
		// What changed so far is saved; the next apply does the rest.
		r.save(ctx, &state, compshare.Instance{}, err, resp.State.Set, &resp.Diagnostics)
		resp.Diagnostics.Append(instanceWaitDiagnostic(id, "timeouts.update", " The next apply tries again.", err))
	}

	if !plan.Name.Equal(state.Name) {
		if err := life.Change(ctx, "the rename", id, func(ctx context.Context) error {
			return client.RenameInstance(ctx, region, zone, id, plan.Name.ValueString())
		}); err != nil {
			fail(err)
			return
		}
		state.Name = plan.Name
	}
	if !plan.PasswordWOVersion.Equal(state.PasswordWOVersion) && !plan.PasswordWOVersion.IsNull() {
		if password.IsNull() || password.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root("password_wo"), "Missing password_wo",
				"password_wo_version changed, which sets the password to password_wo, but password_wo is not set.")
			return
		}
		if err := life.Change(ctx, "the password reset", id, func(ctx context.Context) error {
			return client.ResetInstancePassword(ctx, region, zone, id, password.ValueString())
		}); err != nil {
			fail(err)
			return
		}
	}
	state.PasswordWOVersion = plan.PasswordWOVersion

	inst, err := life.Settle(ctx, region, zone, id)
	if err != nil {
		fail(err)
		return
	}
	size := compshare.InstanceSize{}
	if !plan.CPU.Equal(state.CPU) {
		size.CPU = int(plan.CPU.ValueInt64())
	}
	if !plan.MemoryMB.Equal(state.MemoryMB) {
		size.MemoryMB = int(plan.MemoryMB.ValueInt64())
	}
	if !plan.GPU.Equal(state.GPU) {
		size.GPU = int(plan.GPU.ValueInt64())
	}
	if size != (compshare.InstanceSize{}) {
		if !plan.Running.ValueBool() {
			// To stay stopped: stopped first, the resize starts nothing.
			if inst, err = life.Stop(ctx, region, zone, inst); err != nil {
				fail(err)
				return
			}
		}
		tflog.SubsystemInfo(logContext(ctx), logSubsystem, "resizing the instance: it is stopped meanwhile", map[string]any{"uhost_id": id})
		if inst, err = life.Resize(ctx, region, zone, inst, size); err != nil {
			fail(err)
			return
		}
	}
	if plan.Running.ValueBool() {
		inst, err = life.Start(ctx, region, zone, inst)
	} else {
		inst, err = life.Stop(ctx, region, zone, inst)
	}
	if err != nil {
		fail(err)
		return
	}
	r.save(ctx, &plan, inst, nil, resp.State.Set, &resp.Diagnostics)
}

// Delete stops the instance, terminates it and waits until it is gone.
func (r *instanceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state instanceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultInstanceDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := state.ID.ValueString()
	// An instance never listed (no created_at: a create interrupted
	// moments ago) may be unknown to the API for a while.
	if err := r.life().Delete(ctx, state.Region.ValueString(), state.Zone.ValueString(), id, state.CreatedAt.IsNull()); err != nil {
		resp.Diagnostics.Append(instanceWaitDiagnostic(id, "timeouts.delete", " The instance stays in state: destroy again.", err))
	}
}

// createdKey is the private state key of when Create created the instance, a JSON time.
const createdKey = "created"

// markCreated records in private state that Create made the instance at t.
func markCreated(ctx context.Context, private privateSetter, t time.Time) diag.Diagnostics {
	return markMoment(ctx, private, createdKey, "when the instance was created", t)
}

// createdMomentsAgo reports whether private state records that Create made
// the instance less than lifecycle.NewInstanceWindow ago: the API may not
// know it yet.
func createdMomentsAgo(ctx context.Context, private privateGetter) bool {
	return momentWithin(ctx, private, createdKey, lifecycle.NewInstanceWindow)
}

// ImportState accepts UHOST_ID or REGION/ZONE/UHOST_ID, or an identity;
// Read fills the rest.
func (r *instanceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	var region, zone, id string
	if req.ID != "" || req.Identity == nil {
		var valid bool
		if region, zone, id, valid = parseImportID(req.ID); !valid {
			resp.Diagnostics.AddError("Invalid import id", fmt.Sprintf(
				"Import id %q is neither an instance id (uhost-xxxx) nor region/zone/uhost_id (cn-wlcb/cn-wlcb-01/uhost-xxxx).", req.ID))
			return
		}
	} else {
		var given instanceIdentity
		if resp.Diagnostics.Append(req.Identity.Get(ctx, &given)...); resp.Diagnostics.HasError() {
			return
		}
		region, zone, id = given.Region.ValueString(), given.Zone.ValueString(), given.UHostID.ValueString()
		if !validImageID(id) {
			resp.Diagnostics.AddError("Invalid import identity",
				fmt.Sprintf("The identity's uhost_id %q is not an instance id such as uhost-xxxx (no whitespace, at most %d characters).", id, maxImageIDLength))
			return
		}
	}
	if region == "" {
		region = r.data.region
	}
	if zone == "" {
		zone = r.data.zone
	}
	if !compshare.ZoneInRegion(zone, region) {
		resp.Diagnostics.AddError("Zone not in region", fmt.Sprintf("Cannot import instance %s: zone %q is not in region %q. Give both region and zone of the instance.", id, zone, region))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("region"), region)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("zone"), zone)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, newInstanceIdentity(region, zone, id))...)
}

// instanceIdentity is the resource identity of compshare_instance.
type instanceIdentity struct {
	Region  types.String `tfsdk:"region"`
	Zone    types.String `tfsdk:"zone"`
	UHostID types.String `tfsdk:"uhost_id"`
}

func newInstanceIdentity(region, zone, id string) instanceIdentity {
	return instanceIdentity{Region: types.StringValue(region), Zone: types.StringValue(zone), UHostID: types.StringValue(id)}
}

func (r *instanceResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"uhost_id": identityschema.StringAttribute{RequiredForImport: true, Description: "The instance id (`UHostId`), such as `uhost-xxxx`."},
			"region":   identityschema.StringAttribute{OptionalForImport: true, Description: "Region of the instance. Defaults to the provider's `region` on import."},
			"zone":     identityschema.StringAttribute{OptionalForImport: true, Description: "Zone of the instance. Defaults to the provider's `zone` on import."},
		},
	}
}

// multipleOf accepts integers that are a multiple of n.
type multipleOf int64

func (v multipleOf) Description(context.Context) string {
	return fmt.Sprintf("value must be a multiple of %d", int64(v))
}

func (v multipleOf) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v multipleOf) ValidateInt64(ctx context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.ConfigValue.ValueInt64()%int64(v) == 0 {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
		fmt.Sprintf("Attribute %s %s, got: %d (such as %d).", req.Path, v.Description(ctx), req.ConfigValue.ValueInt64(), (req.ConfigValue.ValueInt64()/int64(v)+1)*int64(v)))
}

// instanceNameTakenDiagnostic refuses a create whose name instances already
// have: the provider finds a new instance by its name when the answer to
// CreateCompShareInstance is lost, and one of these may be such an instance.
func instanceNameTakenDiagnostic(region, zone, name string, insts []compshare.Instance) diag.Diagnostic {
	ids := make([]string, len(insts))
	for i, inst := range insts {
		ids[i] = inst.UHostID
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("name"), "Instance name already in use",
		fmt.Sprintf("Region %s, zone %s already has an instance named %q: %s. Nothing was created. A new instance is found by its name "+
			"when the answer to its create request is lost, so names must differ; one of these may also be an instance that an earlier "+
			"apply created without learning its id. Adopt it with an import block whose to is this resource and whose id is its UHostId "+
			"(or terraform import with the address Terraform shows with this message), terminate it in the Compshare console, or choose another name.",
			region, zone, name, strings.Join(ids, ", ")))
}
