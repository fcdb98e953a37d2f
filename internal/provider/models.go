package provider

import (
	"cmp"

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
