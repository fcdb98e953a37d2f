package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

var (
	_ datasource.DataSourceWithConfigure      = (*instanceDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*instanceDataSource)(nil)
)

func newInstanceDataSource() datasource.DataSource { return &instanceDataSource{} }

// instanceDataSource reads one GPU instance by id.
type instanceDataSource struct {
	data *providerData
}

type instanceDataSourceModel struct {
	locationModel
	listedInstanceModel
}

func (d *instanceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (d *instanceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := listedInstanceAttributes()
	attributes["id"] = schema.StringAttribute{
		Required: true, Validators: uhostIDValidators,
		Description: "The instance id (`UHostId`), such as `uhost-xxxx`; the read fails when the API does not list it.",
	}
	attributes["region"] = dataSourceLocationAttribute("region", "instance")
	attributes["zone"] = dataSourceLocationAttribute("zone", "instance")
	resp.Schema = schema.Schema{
		Description: "Reads one GPU instance (API action `" + compshare.ActionDescribeInstance + "`). Its password is never read.",
		Attributes:  attributes,
	}
}

func (d *instanceDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region.
func (d *instanceDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var config instanceDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(config.checkZone(nil)...)
	}
}

func (d *instanceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model instanceDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	resp.Diagnostics.Append(model.checkZone(d.data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	region, zone := model.resolve(d.data)
	inst, err := d.data.client.Instance(ctx, region, zone, model.ID.ValueString())
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	model.listedInstanceModel = listedInstance(inst)
	model.Region, model.Zone = types.StringValue(region), types.StringValue(zone)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
