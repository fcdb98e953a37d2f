package provider

// The plan of compshare_custom_image: what replaces the image, what the
// recorded status plans, and the checks a plan makes before apply builds or
// renames. The lifecycle that apply runs is in custom_image_resource.go.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// ModifyPlan fills region and zone from the provider and decides, in one
// place, whether the image is replaced: a new instance, region or zone, or a
// recorded status that can never become usable. When the plan builds an
// image, it checks that the instance exists; when it gives the image a new
// name, that no other image has it. It plans what the recorded status calls
// for: a wait for a build still being made; else the status as it is
// (nothing that calls the API changes it). A destroy is not checked.
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
	if resp.Diagnostics.HasError() {
		return
	}
	if state != nil {
		// An imported image does not know its instance (the image list does
		// not say): it takes uhost_id from the configuration in place.
		if !state.UHostID.IsNull() && !plan.UHostID.IsNull() && !state.UHostID.Equal(plan.UHostID) {
			replace = append(replace, path.Root("uhost_id"))
		}
		replace = append(replace, planStatus(*state, &plan, len(replace) > 0, &resp.Diagnostics)...)
	}
	resp.RequiresReplace = append(resp.RequiresReplace, replace...)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Region.IsUnknown() || plan.Zone.IsUnknown() {
		return
	}

	region, zone := plan.Region.ValueString(), plan.Zone.ValueString()
	builds := state == nil || len(replace) > 0
	if builds && plan.UHostID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("uhost_id"), "Missing uhost_id",
			"Building an image needs uhost_id, the instance to build it from (such as uhost-xxxx). Only an image adopted by import may leave it unset, "+
				"and only while it is not replaced.")
		return
	}
	if builds && !plan.UHostID.IsUnknown() {
		r.checkInstance(ctx, region, zone, plan.UHostID.ValueString(), &resp.Diagnostics)
	}
	if !plan.Name.IsUnknown() && (state == nil || !state.Name.Equal(plan.Name)) {
		r.checkNameFree(ctx, region, zone, plan.Name.ValueString(), state, &resp.Diagnostics)
	}
}

// planStatus plans status, failed_reason and progress from the status the
// state records, and returns the path that calls for a replacement, if any:
// an image that can never become usable is replaced; a build still being
// made is waited for; otherwise, unless the image is replaced for another
// reason or its metadata changes (which is read back after the change), they
// stay as they are, so that recording uhost_id after an import shows no
// value known only after apply.
func planStatus(state customImageModel, plan *customImageModel, replaced bool, diags *diag.Diagnostics) path.Paths {
	id, status := state.ID.ValueString(), state.Status.ValueString()
	unknown := func() {
		plan.Status, plan.FailedReason, plan.Progress = types.StringUnknown(), types.StringUnknown(), types.Float64Unknown()
	}
	switch meaning := compshare.MeaningOf(status); {
	case meaning.Unusable():
		unknown()
		diags.AddWarning("Image "+id+" will be replaced",
			fmt.Sprintf("The platform lists image %s as %s%s: apply builds a new image in its place.", id, status, reasonSuffix(state.FailedReason.ValueString())))
		return path.Paths{path.Root("status")}
	case meaning == compshare.ImageBuilding:
		unknown() // kept with terraform untaint, or still being built: apply waits
		return nil
	case meaning == compshare.ImageUnknown:
		diags.AddWarning("Image "+id+" has an unknown status",
			fmt.Sprintf("The platform lists image %s as %q, a status this provider does not know; it is left as it is.", id, status))
	}
	metadataChanges := !plan.Name.Equal(state.Name) || !plan.Description.IsUnknown() && !plan.Description.Equal(state.Description) ||
		!plan.Tags.IsUnknown() && !plan.Tags.Equal(state.Tags)
	if !replaced && !metadataChanges {
		plan.Status, plan.FailedReason = state.Status, state.FailedReason
	}
	return nil
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

// checkNameFree looks for another image named name, other than the one in
// state. An image that renames fails the plan when a usable image has the
// name, and warns when one that is not usable has it. A new image (state
// nil) only warns: Terraform plans the replacement
// of a tainted image without its state, so the image found may be this
// resource's own (a build that timed out and finished later), which apply
// deletes before it builds the new one; a stranger's refuses the build at
// apply, with the same explanation.
func (r *customImageResource) checkNameFree(ctx context.Context, region, zone, name string, state *customImageModel, diags *diag.Diagnostics) {
	img, err := r.data.client.ImageNamed(ctx, region, zone, name)
	switch {
	case compshare.IsNotFound(err):
		return
	case compshare.IsCredentialsRefused(err):
		diags.Append(apiErrorDiagnostic(err))
		return
	case err != nil:
		diags.AddWarning("Cannot check the image name at plan", fmt.Sprintf("%v.\n\nApply will report a name already in use.", err))
		return
	case state != nil && strings.EqualFold(img.ID, state.ID.ValueString()):
		return
	}
	switch {
	case state == nil:
		diags.AddAttributeWarning(path.Root("name"), "Image name already in use", nameInUse(img, region, zone)+
			" If it is the image this resource held before it was tainted (a build that timed out and finished later), apply deletes it first and all is well. "+
			"Otherwise apply will be refused: choose another name, or "+adoptImage(img.ID))
	case compshare.MeaningOf(img.Status).Usable():
		diags.AddAttributeError(path.Root("name"), "Image name already in use", nameInUse(img, region, zone)+" Choose another name.")
	default:
		// Not usable: perhaps a tainted image that this apply replaces first.
		diags.AddAttributeWarning(path.Root("name"), "Image name already in use", nameInUse(img, region, zone)+
			" Unless it is a tainted image that this apply deletes first, the rename will be refused: choose another name.")
	}
}
