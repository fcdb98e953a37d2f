package provider

import (
	"cmp"
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// imageIdentity is the resource identity of an image's resources
// (compshare_custom_image, compshare_image_wait): the image id and where it
// is. Terraform 1.12 and later store it beside the state and accept it in
// import blocks; it never changes while the resource exists, since a change
// of region, zone or image id replaces the resource.
type imageIdentity struct {
	Region  types.String `tfsdk:"region"`
	Zone    types.String `tfsdk:"zone"`
	ImageID types.String `tfsdk:"image_id"`
}

// newImageIdentity is the identity of image id in region and zone.
func newImageIdentity(region, zone, imageID string) imageIdentity {
	return imageIdentity{Region: types.StringValue(region), Zone: types.StringValue(zone), ImageID: types.StringValue(imageID)}
}

// imageIdentitySchema is the identity schema of the resources that name an
// image: image_id is required in an import block, region and zone default to
// the provider's.
func imageIdentitySchema() identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"image_id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "The image id (`CompShareImageId`), such as `compshareImage-xxxx`.",
			},
			"region": identityschema.StringAttribute{
				OptionalForImport: true,
				Description:       "Region of the image. Defaults to the provider's `region` on import.",
			},
			"zone": identityschema.StringAttribute{
				OptionalForImport: true,
				Description:       "Zone of the image. Defaults to the provider's `zone` on import.",
			},
		},
	}
}

// importTarget reads what an import names: an import id (IMAGE_ID or
// REGION/ZONE/IMAGE_ID, from terraform import or an import block's id) or an
// identity (an import block's identity), with the provider's region and zone
// where it names none. ok is false when diags hold the reason.
func importTarget(ctx context.Context, req resource.ImportStateRequest, data *providerData) (target imageIdentity, ok bool, diags diag.Diagnostics) {
	var region, zone, imageID string
	if req.ID != "" || req.Identity == nil {
		var valid bool
		if region, zone, imageID, valid = parseImportID(req.ID); !valid {
			diags.AddError("Invalid import id", importIDHelp(req.ID))
			return target, false, diags
		}
	} else {
		var given imageIdentity
		if diags.Append(req.Identity.Get(ctx, &given)...); diags.HasError() {
			return target, false, diags
		}
		region, zone, imageID = given.Region.ValueString(), given.Zone.ValueString(), given.ImageID.ValueString()
		if !validImageID(imageID) {
			diags.AddError("Invalid import identity",
				fmt.Sprintf("The identity's image_id %q is not an image id such as compshareImage-xxxx (no whitespace, at most %d characters).", imageID, maxImageIDLength))
			return target, false, diags
		}
	}
	region, zone = cmp.Or(region, data.region), cmp.Or(zone, data.zone)
	if !compshare.ZoneInRegion(zone, region) {
		diags.AddError("Zone not in region",
			fmt.Sprintf("Cannot import image %s: zone %q is not in region %q (UCloud zones are named after their region, such as %s-01). "+
				"Give both region and zone of the image.", imageID, zone, region, region))
		return target, false, diags
	}
	return newImageIdentity(region, zone, imageID), true, diags
}
