package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

var (
	_ datasource.DataSourceWithConfigure      = (*customImagesDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*customImagesDataSource)(nil)
)

func newCustomImagesDataSource() datasource.DataSource { return &customImagesDataSource{} }

// customImagesDataSource lists the account's custom images in a region and zone.
type customImagesDataSource struct {
	data *providerData
}

type customImagesDataSourceModel struct {
	locationModel
	NameRegex types.String       `tfsdk:"name_regex"`
	Status    types.String       `tfsdk:"status"`
	IDs       types.Set          `tfsdk:"ids"`
	Images    []listedImageModel `tfsdk:"images"`
}

// listedImageModel is one custom image as the data sources show it.
type listedImageModel struct {
	ID types.String `tfsdk:"id"`
	imageModel
	Progress types.Float64 `tfsdk:"progress"`
}

func (d *customImagesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_custom_images"
}

func (d *customImagesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Lists the account's custom images in a region and zone (API action `" + compshare.ActionDescribeImages + "`, " +
			"read a hundred a page), optionally filtered by name, status and id. Like every data source it is read during plan.",
		Attributes: map[string]schema.Attribute{
			"region": dataSourceLocationAttribute("region", "images"),
			"zone":   dataSourceLocationAttribute("zone", "images"),
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
			"ids": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Set{setvalidator.ValueStringsAre(imageIDValidators...)},
				Description: "Only images with one of these ids, such as `compshareImage-xxxx`. An empty set matches no image.",
			},
			"images": schema.ListNestedAttribute{
				Computed: true,
				Description: "The images that pass every filter, oldest first (by `created_at`, then `id`, " +
					"so that the list keeps its order from one plan to the next).",
				NestedObject: schema.NestedAttributeObject{Attributes: listedImageAttributes()},
			},
		},
	}
}

// dataSourceLocationAttribute is the optional region or zone of a data
// source that reads what.
func dataSourceLocationAttribute(name, what string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:    true,
		Computed:    true,
		Validators:  nonEmpty,
		Description: "The " + name + " of the " + what + ". Defaults to the provider's `" + name + "`.",
	}
}

// listedImageAttributes are the computed attributes of listedImageModel.
func listedImageAttributes() map[string]schema.Attribute {
	from := func(field string) string {
		return " (the field `" + field + "` of `" + compshare.ActionDescribeImages + "`)."
	}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:    true,
			Description: "The image id, such as `compshareImage-xxxx`" + from("CompShareImageId"),
		},
		"name": schema.StringAttribute{
			Computed:    true,
			Description: "The image name, unique in the account" + from("Name"),
		},
		"description": schema.StringAttribute{
			Computed:    true,
			Description: "The image description; empty when it has none" + from("Description"),
		},
		"tags": schema.SetAttribute{
			Computed:    true,
			ElementType: types.StringType,
			Description: "The image's tags; empty when it has none" + from("Tags"),
		},
		"status": schema.StringAttribute{
			Computed:    true,
			Description: "The image status as the API spells it: " + compshare.ImageStatusGlossary() + from("Status"),
		},
		"failed_reason": schema.StringAttribute{
			Computed:    true,
			Description: "Why the build failed; empty unless it did" + from("FailedReason"),
		},
		"size_mb": schema.Int64Attribute{
			Computed:    true,
			Description: "The image size in MB" + from("Size"),
		},
		"created_at": schema.StringAttribute{
			Computed:    true,
			Description: "When the image was created, RFC 3339 in UTC, converted from Unix seconds; null when the API gives no time" + from("CreateTime"),
		},
		"container": schema.BoolAttribute{
			Computed:    true,
			Description: "Whether it is a container image (`true`, the API's string `\"True\"`) or a VM image (`false`)" + from("Container"),
		},
		"source_gpu_type": schema.StringAttribute{
			Computed:    true,
			Description: "The GPU type of the instance the image was built from" + from("SourceGpuType"),
		},
		"progress": schema.Float64Attribute{
			Computed: true,
			Description: "Percent of the build done, 0 to 100: 100 for an `Available` image; for a `Making` image the `Process` of " +
				"`" + compshare.ActionImageProgress + "`, one call per such image; null for other statuses, or when the API refuses " +
				"to report the progress (as it is reported to do for container images).",
		},
	}
}

func (d *customImagesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region.
func (d *customImagesDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var config customImagesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(config.checkZone(nil)...)
	}
}

func (d *customImagesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model customImagesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	resp.Diagnostics.Append(model.checkZone(d.data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	region, zone := model.resolve(d.data)
	filter := imageFilter{status: model.Status.ValueString()}
	if !model.NameRegex.IsNull() {
		filter.nameRegex = compileNameRegex(model.NameRegex.ValueString(), &resp.Diagnostics)
	}
	if !model.IDs.IsNull() {
		var ids []string
		resp.Diagnostics.Append(model.IDs.ElementsAs(ctx, &ids, false)...)
		filter.ids = idSet(ids)
	}
	if resp.Diagnostics.HasError() {
		return
	}

	all, err := d.data.client.Images(ctx, region, zone)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	matches := filter.apply(all)
	tflog.SubsystemDebug(logContext(ctx), logSubsystem, "listed custom images", map[string]any{
		"region": region, "zone": zone, "listed": len(all), "matching": len(matches),
	})

	model.Region, model.Zone = types.StringValue(region), types.StringValue(zone)
	model.Images = make([]listedImageModel, 0, len(matches))
	for _, img := range matches {
		m, diags := newListedImageModel(ctx, d.data.client, region, zone, img)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		model.Images = append(model.Images, m)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// imageFilter selects images by the data sources' filters; a zero filter
// keeps every image.
type imageFilter struct {
	nameRegex *regexp.Regexp  // nil: any name
	status    string          // "": any status; compared without regard to case
	ids       map[string]bool // nil: any id; lower-case keys, as ids are matched without regard to case
}

func idSet(ids []string) map[string]bool {
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[strings.ToLower(id)] = true
	}
	return set
}

func (f imageFilter) keeps(img compshare.Image) bool {
	return (f.nameRegex == nil || f.nameRegex.MatchString(img.Name)) &&
		(f.status == "" || strings.EqualFold(f.status, img.Status)) &&
		(f.ids == nil || f.ids[strings.ToLower(img.ID)])
}

// apply returns the images f keeps, oldest first: by creation time, then id.
func (f imageFilter) apply(images []compshare.Image) []compshare.Image {
	kept := slices.DeleteFunc(slices.Clone(images), func(img compshare.Image) bool { return !f.keeps(img) })
	slices.SortFunc(kept, func(a, b compshare.Image) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return kept
}

// progressReader reads a build's progress: the client's ImageProgress.
type progressReader interface {
	ImageProgress(ctx context.Context, region, zone, imageID string) (compshare.Progress, error)
}

// newListedImageModel returns img as the data sources show it, its progress
// as imageProgress reads it. A progress the API refuses with a RetCode
// (container images are reported to be refused) is left null: the list's
// status says enough then, and one such image must not hide the rest.
func newListedImageModel(ctx context.Context, progress progressReader, region, zone string, img compshare.Image) (listedImageModel, diag.Diagnostics) {
	m := listedImageModel{ID: types.StringValue(img.ID)}
	diags := m.set(img)
	var err error
	m.Progress, err = imageProgress(ctx, progress, region, zone, img)
	var apiErr *compshare.Error
	switch {
	case err == nil:
	case errors.As(err, &apiErr) && apiErr.RetCode != 0:
		tflog.SubsystemWarn(logContext(ctx), logSubsystem, "the API refused the progress of an image being made; progress left null",
			map[string]any{"image_id": img.ID, "error": err.Error()})
	default:
		diags.AddError("Cannot read Compshare image build progress", err.Error())
	}
	return m, diags
}

// imageProgress is the progress of a listed image: 100 when it is Available;
// for a build still Making, one GetCompShareImageCreateProgress call; null
// otherwise, and when that call fails.
func imageProgress(ctx context.Context, progress progressReader, region, zone string, img compshare.Image) (types.Float64, error) {
	switch compshare.MeaningOf(img.Status) {
	case compshare.ImageUsable:
		return types.Float64Value(100), nil
	case compshare.ImageBuilding:
		p, err := progress.ImageProgress(ctx, region, zone, img.ID)
		if err != nil {
			return types.Float64Null(), err
		}
		return types.Float64Value(p.Percent), nil
	}
	return types.Float64Null(), nil
}

// compileNameRegex compiles a name_regex that regexValidator accepted.
func compileNameRegex(pattern string, diags *diag.Diagnostics) *regexp.Regexp {
	re, err := regexp.Compile(pattern)
	if err != nil {
		diags.AddAttributeError(path.Root("name_regex"), "Invalid regular expression", fmt.Sprintf("name_regex %q: %v.", pattern, err))
	}
	return re
}
