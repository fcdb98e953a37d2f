package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
)

var (
	_ list.ListResourceWithConfigure      = (*customImageListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*customImageListResource)(nil)
)

func newCustomImageListResource() list.ListResource { return &customImageListResource{} }

// customImageListResource lists the account's custom images for `terraform
// query` (Terraform 1.14 and later), each with the identity that imports it as
// a compshare_custom_image.
type customImageListResource struct {
	data *providerData
}

type customImageListModel struct {
	locationModel
	NameRegex types.String `tfsdk:"name_regex"`
	Status    types.String `tfsdk:"status"`
}

func (l *customImageListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_custom_image"
}

func (l *customImageListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	location := func(name string) schema.StringAttribute {
		return schema.StringAttribute{
			Optional:    true,
			Validators:  nonEmpty,
			Description: "The " + name + " of the images. Defaults to the provider's `" + name + "`.",
		}
	}
	resp.Schema = schema.Schema{
		Description: "Lists the account's custom images in a region and zone (API action `" + compshare.ActionDescribeImages + "`, " +
			"a page at a time, up to the query's `limit`), in the order the API lists them, optionally filtered by name and status. " +
			"Each result is named after the image, its status and, while it is being built, its progress (one `" +
			compshare.ActionImageProgress + "` call per such image), and carries the identity that imports it as a `compshare_custom_image`.",
		Attributes: map[string]schema.Attribute{
			"region": location("region"),
			"zone":   location("zone"),
			"name_regex": schema.StringAttribute{
				Optional:   true,
				Validators: []validator.String{regexValidator{}},
				Description: "Only images whose name matches this regular expression (Go RE2 syntax, " +
					"matched anywhere in the name unless anchored with `^` and `$`).",
			},
			"status": schema.StringAttribute{
				Optional:    true,
				Validators:  []validator.String{stringvalidator.OneOfCaseInsensitive(compshare.ImageStatusWords()...)},
				Description: "Only images with this status, compared without regard to case: " + compshare.ImageStatusGlossary() + ".",
			},
		},
	}
}

func (l *customImageListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateListResourceConfig refuses a zone outside the region.
func (l *customImageListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var config customImageListModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(config.checkZone(nil)...)
	}
}

// List streams the images that pass the filters, at most req.Limit of them,
// reading pages only as far as needed.
func (l *customImageListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var config customImageListModel
	diags := req.Config.Get(ctx, &config)
	diags.Append(config.checkZone(l.data)...)
	filter := imageFilter{status: config.Status.ValueString()}
	if !config.NameRegex.IsNull() {
		filter.nameRegex = compileNameRegex(config.NameRegex.ValueString(), &diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	region, zone := config.resolve(l.data)
	stream.Results = func(push func(list.ListResult) bool) {
		pushed := int64(0)
		err := l.walk(ctx, region, zone, filter, req.Limit, func(img compshare.Image) bool {
			pushed++
			return push(l.result(ctx, req, region, zone, img)) && (req.Limit <= 0 || pushed < req.Limit)
		})
		if err != nil {
			push(list.ListResult{Diagnostics: diag.Diagnostics{apiErrorDiagnostic(err)}})
		}
	}
}

// walk calls yield with each image of the account that filter keeps, until
// yield returns false or the list ends. An unfiltered walk asks for no more
// than limit (when > 0) images at once.
func (l *customImageListResource) walk(ctx context.Context, region, zone string, filter imageFilter, limit int64, yield func(compshare.Image) bool) error {
	perPage := compshare.PageSize
	if filter.nameRegex == nil && filter.status == "" && limit > 0 {
		perPage = int(min(limit, int64(compshare.PageSize)))
	}
	return l.data.client.WalkImages(ctx, region, zone, perPage, func(img compshare.Image) bool {
		return !filter.keeps(img) || yield(img)
	})
}

// result is one image as a list result: a display name such as
// "my-env (Making, 42 %)", its identity and, when asked for, the resource.
// The progress of an image still being made is read once.
func (l *customImageListResource) result(ctx context.Context, req list.ListRequest, region, zone string, img compshare.Image) list.ListResult {
	res := req.NewListResult(ctx)
	listed, diags := newListedImageModel(ctx, l.data.client, region, zone, img)
	for _, d := range diags {
		// A progress that cannot be read now must not hide the image.
		res.Diagnostics.AddWarning(d.Summary(), fmt.Sprintf("%s\n\nImage %s is listed without its progress.", d.Detail(), img.ID))
	}
	res.DisplayName = fmt.Sprintf("%s (%s)", img.Name, img.Status)
	if !listed.Progress.IsNull() && compshare.MeaningOf(img.Status) == compshare.ImageBuilding {
		res.DisplayName = fmt.Sprintf("%s (%s, %s %%)", img.Name, img.Status, imagewait.FormatPercent(listed.Progress.ValueFloat64()))
	}
	res.Diagnostics.Append(res.Identity.Set(ctx, newImageIdentity(region, zone, img.ID))...)
	if req.IncludeResource {
		res.Diagnostics.Append(res.Resource.Set(ctx, adoptedImageModel(region, zone, listed))...)
	}
	return res
}

// adoptedImageModel is the resource of a listed image as import would find
// it, shaped so that `terraform query -generate-config-out` writes a
// configuration that keeps the image as it is: no uhost_id (the list does not
// say which instance the image came from), and no tags or description where
// it has none (an empty set or string is not valid configuration).
func adoptedImageModel(region, zone string, listed listedImageModel) customImageModel {
	m := customImageModel{
		ID:            listed.ID,
		UHostID:       types.StringNull(),
		locationModel: locationModel{Region: types.StringValue(region), Zone: types.StringValue(zone)},
		imageModel:    listed.imageModel,
		Progress:      types.Float64Value(listed.Progress.ValueFloat64()), // null reads as 0, as Read has it
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "update": types.StringType, "delete": types.StringType,
		})},
	}
	if len(m.Tags.Elements()) == 0 {
		m.Tags = types.SetNull(types.StringType)
	}
	if m.Description.ValueString() == "" {
		m.Description = types.StringNull()
	}
	return m
}
