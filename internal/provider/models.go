package provider

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// locationModel is the region and zone of an image, embedded in the models
// of every data source, resource and action that names one.
type locationModel struct {
	Region types.String `tfsdk:"region"`
	Zone   types.String `tfsdk:"zone"`
}

// resolve returns the region and zone, the provider's defaults where unset.
func (m locationModel) resolve(data *providerData) (region, zone string) {
	return cmp.Or(m.Region.ValueString(), data.region), cmp.Or(m.Zone.ValueString(), data.zone)
}

// planLocation fills the plan's region and zone from the configuration, the
// provider's defaults where it sets none, and returns the paths whose change
// from state moves the resource to another image, so replaces it.
func planLocation(plan *locationModel, config locationModel, state *locationModel, data *providerData) (path.Paths, diag.Diagnostics) {
	diags := config.checkZone(data)
	if diags.HasError() {
		return nil, diags
	}
	region, zone := config.resolve(data)
	if !config.Region.IsUnknown() {
		plan.Region = types.StringValue(region)
	}
	if !config.Zone.IsUnknown() {
		plan.Zone = types.StringValue(zone)
	}
	var replace path.Paths
	if state != nil && !state.Region.Equal(plan.Region) {
		replace = append(replace, path.Root("region"))
	}
	if state != nil && !state.Zone.Equal(plan.Zone) {
		replace = append(replace, path.Root("zone"))
	}
	return replace, diags
}

// checkZone refuses a zone outside the region before the API does (it answers
// RetCode 230 "Params [Zone] not available"). With data nil (at validate) it
// checks a region and zone both set here; with the provider's data (at plan)
// also one set here against the provider's default for the other.
func (m locationModel) checkZone(data *providerData) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.Region.IsUnknown() || m.Zone.IsUnknown() || (m.Region.IsNull() && m.Zone.IsNull()) {
		return diags
	}
	describe := func(v types.String, attribute, fallback string) (string, string, bool) {
		if !v.IsNull() {
			return v.ValueString(), attribute, true
		}
		return fallback, "provider's " + attribute, data != nil
	}
	var fallbackRegion, fallbackZone string
	if data != nil {
		fallbackRegion, fallbackZone = data.region, data.zone
	}
	region, regionFrom, regionKnown := describe(m.Region, "region", fallbackRegion)
	zone, zoneFrom, zoneKnown := describe(m.Zone, "zone", fallbackZone)
	if !regionKnown || !zoneKnown || compshare.ZoneInRegion(zone, region) {
		return diags
	}
	diags.AddAttributeError(path.Root("zone"), "Zone not in region",
		fmt.Sprintf("The %s %q is not in the %s %q: UCloud zones are named after their region, such as %s-01. "+
			"Set zone on this block to a zone of region %q, or region to the zone's region.", zoneFrom, zone, regionFrom, region, region, region))
	return diags
}

// progressModel holds the computed attributes of one progress answer.
type progressModel struct {
	Progress          types.Float64 `tfsdk:"progress"`
	TotalDuration     types.Float64 `tfsdk:"total_duration"`
	RemainingDuration types.Float64 `tfsdk:"remaining_duration"`
	Completed         types.Bool    `tfsdk:"completed"`
}

// set copies an answer of GetCompShareImageCreateProgress into the attributes.
func (m *progressModel) set(p compshare.Progress) {
	m.Progress = types.Float64Value(p.Percent)
	m.TotalDuration = types.Float64PointerValue(p.TotalSeconds)
	m.RemainingDuration = types.Float64PointerValue(p.RemainingSeconds)
	m.Completed = types.BoolValue(p.Completed())
}

// imageModel holds what DescribeCompShareCustomImages tells of a custom
// image, embedded in the resource and the data sources that show images.
type imageModel struct {
	Name          types.String `tfsdk:"name"`
	Description   types.String `tfsdk:"description"`
	Tags          types.Set    `tfsdk:"tags"`
	Status        types.String `tfsdk:"status"`
	FailedReason  types.String `tfsdk:"failed_reason"`
	SizeMB        types.Int64  `tfsdk:"size_mb"`
	CreatedAt     types.String `tfsdk:"created_at"`
	Container     types.Bool   `tfsdk:"container"`
	SourceGpuType types.String `tfsdk:"source_gpu_type"`
}

// set copies an image's entry into the attributes; created_at is RFC 3339,
// null when the API gives no CreateTime.
func (m *imageModel) set(img compshare.Image) diag.Diagnostics {
	if img.Tags == nil {
		img.Tags = []string{} // none listed: an empty set, not null
	}
	tags, diags := types.SetValueFrom(context.Background(), types.StringType, img.Tags)
	m.Name, m.Description, m.Tags = types.StringValue(img.Name), types.StringValue(img.Description), tags
	m.Status, m.FailedReason = types.StringValue(img.Status), types.StringValue(img.FailedReason)
	m.SizeMB, m.Container, m.SourceGpuType = types.Int64Value(img.SizeMB), types.BoolValue(img.Container), types.StringValue(img.SourceGpuType)
	m.CreatedAt = types.StringNull()
	if !img.CreatedAt.IsZero() {
		m.CreatedAt = types.StringValue(img.CreatedAt.UTC().Format(time.RFC3339))
	}
	return diags
}

// setAfterApply copies an image's entry read right after an apply, keeping
// the name, description and tags that the plan holds: they were just sent,
// and the list may not show them yet.
func (m *imageModel) setAfterApply(img compshare.Image) diag.Diagnostics {
	planned := *m
	diags := m.set(img)
	for _, kept := range []struct {
		planned types.String
		to      *types.String
	}{{planned.Name, &m.Name}, {planned.Description, &m.Description}} {
		if !kept.planned.IsUnknown() && !kept.planned.IsNull() {
			*kept.to = kept.planned
		}
	}
	if !planned.Tags.IsUnknown() && !planned.Tags.IsNull() {
		m.Tags = planned.Tags
	}
	return diags
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

// imageChange is what an update sends of plan (UpdateCompShareCustomImage):
// the name, description and tags that differ from state. A description or
// tags unknown or null in the plan (removed from the configuration) are not
// sent: the API cannot clear them.
func imageChange(plan, state imageModel) compshare.ImageUpdate {
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
	return change
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
