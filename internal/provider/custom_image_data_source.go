package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/boolvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

var (
	_ datasource.DataSourceWithConfigure        = (*customImageDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig   = (*customImageDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*customImageDataSource)(nil)
)

func newCustomImageDataSource() datasource.DataSource { return &customImageDataSource{} }

// customImageDataSource finds one custom image, by id or by name.
type customImageDataSource struct {
	data *providerData
}

type customImageDataSourceModel struct {
	locationModel
	NameRegex  types.String `tfsdk:"name_regex"`
	MostRecent types.Bool   `tfsdk:"most_recent"`
	listedImageModel
}

// maxListedMatches bounds the images an error about several matches names.
const maxListedMatches = 5

func (d *customImageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_custom_image"
}

func (d *customImageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := listedImageAttributes()
	attributes["id"] = schema.StringAttribute{
		Optional:   true,
		Computed:   true,
		Validators: imageIDValidators,
		Description: "Id of the image to read, such as `compshareImage-xxxx` (the field `CompShareImageId` of `" +
			compshare.ActionDescribeImages + "`). Set exactly one of `id` and `name_regex`.",
	}
	attributes["name_regex"] = schema.StringAttribute{
		Optional:   true,
		Validators: []validator.String{regexValidator{}},
		Description: "Find the image whose name matches this regular expression (Go RE2 syntax, matched anywhere in the name " +
			"unless anchored with `^` and `$`) among the images `" + compshare.ActionDescribeImages + "` lists. " +
			"Set exactly one of `id` and `name_regex`. Several matches are an error unless `most_recent` is true.",
	}
	attributes["most_recent"] = schema.BoolAttribute{
		Optional:   true,
		Validators: []validator.Bool{boolvalidator.AlsoRequires(path.MatchRoot("name_regex"))},
		Description: "With `name_regex`: when several images match, take the one created last (by `created_at`, then the " +
			"greatest `id`). Defaults to false.",
	}
	attributes["region"] = dataSourceLocationAttribute("region", "image")
	attributes["zone"] = dataSourceLocationAttribute("zone", "image")
	resp.Schema = schema.Schema{
		Description: "Reads one of the account's custom images (API action `" + compshare.ActionDescribeImages + "`), by `id`, " +
			"or by `name_regex` with `most_recent` like `aws_ami`. Like every data source it is read during plan.",
		Attributes: attributes,
	}
}

func (d *customImageDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name_regex")),
	}
}

func (d *customImageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region.
func (d *customImageDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var config customImageDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(config.checkZone(nil)...)
	}
}

func (d *customImageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model customImageDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	resp.Diagnostics.Append(model.checkZone(d.data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	region, zone := model.resolve(d.data)

	var img compshare.Image
	if id := model.ID.ValueString(); id != "" {
		var err error
		img, err = d.data.client.Image(ctx, region, zone, id)
		switch {
		case compshare.IsNotFound(err):
			resp.Diagnostics.AddAttributeError(path.Root("id"), "No Compshare custom image found",
				fmt.Sprintf("%v.\n\nRegion %q, zone %q has no custom image with id %q. Check id, region and zone.", err, region, zone, id)+
					similarImage(ctx, d.data.client, err))
			return
		case err != nil:
			resp.Diagnostics.Append(apiErrorDiagnostic(err))
			return
		}
	} else {
		all, err := d.data.client.Images(ctx, region, zone)
		if err != nil {
			resp.Diagnostics.Append(apiErrorDiagnostic(err))
			return
		}
		re := compileNameRegex(model.NameRegex.ValueString(), &resp.Diagnostics)
		if re == nil {
			return
		}
		var problem diag.Diagnostic
		img, problem = pickByName(all, re, model.MostRecent.ValueBool(), region, zone)
		if problem != nil {
			resp.Diagnostics.Append(problem)
			return
		}
	}

	m, diags := newListedImageModel(ctx, d.data.client, region, zone, img)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	model.listedImageModel = m
	model.Region, model.Zone = types.StringValue(region), types.StringValue(zone)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// pickByName returns the one image of region and zone whose name matches
// nameRegex, the one created last when mostRecent; no match, or several
// without mostRecent, is an error on name_regex.
func pickByName(images []compshare.Image, nameRegex *regexp.Regexp, mostRecent bool, region, zone string) (compshare.Image, diag.Diagnostic) {
	pattern := nameRegex.String()
	matches := imageFilter{nameRegex: nameRegex}.apply(images)
	switch {
	case len(matches) == 0:
		return compshare.Image{}, diag.NewAttributeErrorDiagnostic(path.Root("name_regex"), "No Compshare custom image found",
			fmt.Sprintf("None of the %d custom images in region %q, zone %q has a name matching name_regex %q. "+
				"Check name_regex, region and zone.", len(images), region, zone, pattern))
	case len(matches) > 1 && !mostRecent:
		newestFirst := slices.Clone(matches)
		slices.Reverse(newestFirst)
		var names []string
		for _, img := range newestFirst[:min(len(newestFirst), maxListedMatches)] {
			names = append(names, fmt.Sprintf("%q (%s)", img.Name, img.ID))
		}
		if more := len(matches) - len(names); more > 0 {
			names = append(names, fmt.Sprintf("and %d more", more))
		}
		return compshare.Image{}, diag.NewAttributeErrorDiagnostic(path.Root("name_regex"), "Several Compshare custom images match",
			fmt.Sprintf("%d custom images in region %q, zone %q have a name matching name_regex %q, newest first: %s. "+
				"Set most_recent = true to take the one created last, or narrow name_regex.",
				len(matches), region, zone, pattern, strings.Join(names, ", ")))
	}
	return matches[len(matches)-1], nil
}
