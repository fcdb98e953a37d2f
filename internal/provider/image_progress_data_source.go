package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ datasource.DataSourceWithConfigure      = (*imageProgressDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*imageProgressDataSource)(nil)
)

func newImageProgressDataSource() datasource.DataSource { return &imageProgressDataSource{} }

type imageProgressDataSource struct {
	data *providerData
}

type imageProgressModel struct {
	ID      types.String `tfsdk:"id"`
	ImageID types.String `tfsdk:"image_id"`
	locationModel
	progressModel
}

func (d *imageProgressDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_progress"
}

func (d *imageProgressDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Reads the progress of a custom image build (API action `GetCompShareImageCreateProgress`). " +
			"Like every data source it is read during plan, so the plan shows where the build stands.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:    true,
				Description: "The image id.",
			},
			"image_id": schema.StringAttribute{
				Required:    true,
				Validators:  imageIDValidators,
				Description: "Id of the custom image being built, such as `compshareImage-xxxx`.",
			},
			"region": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Validators:  nonEmpty,
				Description: "Region of the image. Defaults to the provider's `region`.",
			},
			"zone": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Validators:  nonEmpty,
				Description: "Zone of the image. Defaults to the provider's `zone`.",
			},
			"progress": schema.Float64Attribute{
				Computed:    true,
				Description: "Percent of the build done, 0 to 100 (the API's `Process`).",
			},
			"total_duration": schema.Float64Attribute{
				Computed:    true,
				Description: "The API's estimate of the whole build's duration, in seconds; null when the API gives none.",
			},
			"remaining_duration": schema.Float64Attribute{
				Computed:    true,
				Description: "The API's estimate of the time left, in seconds; null when the API gives none.",
			},
			"completed": schema.BoolAttribute{
				Computed:    true,
				Description: "Whether the build is done (`progress` is 100).",
			},
		},
	}
}

func (d *imageProgressDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region.
func (d *imageProgressDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var config imageProgressModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(config.checkZone(nil)...)
	}
}

func (d *imageProgressDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model imageProgressModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	resp.Diagnostics.Append(model.checkZone(d.data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	region, zone := model.resolve(d.data)
	imageID := model.ImageID.ValueString()

	p, err := d.data.client.ImageProgress(ctx, region, zone, imageID)
	if err != nil {
		resp.Diagnostics.Append(imageErrorDiagnostic(ctx, d.data.client, err))
		return
	}
	ctx = logContext(ctx)
	tflog.SubsystemDebug(ctx, logSubsystem, "read image build progress", map[string]any{
		"image_id": imageID, "progress": p.Percent, "request_id": p.RequestID,
	})

	model.ID = types.StringValue(imageID)
	model.Region = types.StringValue(region)
	model.Zone = types.StringValue(zone)
	model.set(p)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
