package provider

import (
	"context"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

var (
	_ datasource.DataSourceWithConfigure      = (*instancesDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*instancesDataSource)(nil)
)

func newInstancesDataSource() datasource.DataSource { return &instancesDataSource{} }

// instancesDataSource lists the account's GPU instances in a region and zone.
type instancesDataSource struct {
	data *providerData
}

type instancesDataSourceModel struct {
	locationModel
	NameRegex types.String          `tfsdk:"name_regex"`
	State     types.String          `tfsdk:"state"`
	IDs       types.Set             `tfsdk:"ids"`
	Instances []listedInstanceModel `tfsdk:"instances"`
}

// listedInstanceModel is one instance as the data sources show it. It has
// no password: the API answers one, and this provider never reads it.
type listedInstanceModel struct {
	ID             types.String `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	State          types.String `tfsdk:"state"`
	ImageID        types.String `tfsdk:"image_id"`
	GpuType        types.String `tfsdk:"gpu_type"`
	GPU            types.Int64  `tfsdk:"gpu"`
	CPU            types.Int64  `tfsdk:"cpu"`
	MemoryMB       types.Int64  `tfsdk:"memory_mb"`
	ChargeType     types.String `tfsdk:"charge_type"`
	BootDiskType   types.String `tfsdk:"boot_disk_type"`
	BootDiskSizeGB types.Int64  `tfsdk:"boot_disk_size_gb"`
	IPs            types.List   `tfsdk:"ips"`
	CreatedAt      types.String `tfsdk:"created_at"`
	ExpiresAt      types.String `tfsdk:"expires_at"`
}

func listedInstance(inst compshare.Instance) listedInstanceModel {
	ips := make([]attr.Value, 0, len(inst.IPs))
	for _, ip := range inst.IPs {
		ips = append(ips, types.StringValue(ip.IP))
	}
	m := listedInstanceModel{
		ID: types.StringValue(inst.UHostID), Name: types.StringValue(inst.Name), State: types.StringValue(inst.State),
		ImageID: types.StringValue(inst.ImageID), GpuType: types.StringValue(inst.GpuType), GPU: types.Int64Value(int64(inst.GPU)),
		CPU: types.Int64Value(int64(inst.CPU)), MemoryMB: types.Int64Value(int64(inst.MemoryMB)), ChargeType: types.StringValue(inst.ChargeType),
		BootDiskType: types.StringNull(), BootDiskSizeGB: types.Int64Null(), IPs: types.ListValueMust(types.StringType, ips),
		CreatedAt: timeValue(inst.CreatedAt), ExpiresAt: timeValue(inst.ExpiresAt),
	}
	if disk, ok := inst.BootDisk(); ok {
		m.BootDiskType, m.BootDiskSizeGB = types.StringValue(disk.Type), types.Int64Value(int64(disk.SizeGB))
	}
	return m
}

// listedInstanceAttributes are the computed attributes of listedInstanceModel.
func listedInstanceAttributes() map[string]schema.Attribute {
	str := func(d string) schema.StringAttribute { return schema.StringAttribute{Computed: true, Description: d} }
	num := func(d string) schema.Int64Attribute { return schema.Int64Attribute{Computed: true, Description: d} }
	return map[string]schema.Attribute{
		"id":       str("The instance id (`UHostId`), such as `uhost-xxxx`."),
		"name":     str("The instance name (`Name`)."),
		"state":    str("The state (`State`): `Initializing`, `Starting`, `Running`, `Stopping`, `Stopped`, `Install Fail`, `Rebooting`, `Resizing`, or empty when the platform could not read it."),
		"image_id": str("The image the instance runs (`CompShareImageId`)."), "gpu_type": str("The GPU type (`GpuType`), such as `4090`."),
		"gpu": num("Number of GPUs (`GPU`)."), "cpu": num("CPU cores (`CPU`)."), "memory_mb": num("Memory in MB (`Memory`)."),
		"charge_type":       str("How the instance is billed (`ChargeType`)."),
		"boot_disk_type":    str("Type of the boot disk (`DiskSet`); null when the API lists none."),
		"boot_disk_size_gb": num("Size of the boot disk in GB; null when the API lists none."),
		"ips":               schema.ListAttribute{Computed: true, ElementType: types.StringType, Description: "IP addresses (`IPSet`)."},
		"created_at":        str("When the instance was created (`CreateTime`), RFC 3339 in UTC."),
		"expires_at":        str("When the prepaid period ends (`ExpireTime`), RFC 3339 in UTC; null when the API gives none."),
	}
}

func (d *instancesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instances"
}

func (d *instancesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Lists the account's GPU instances in a region and zone (API action `" + compshare.ActionDescribeInstance + "`, " +
			"read a hundred a page), optionally filtered by name, state and id. The instances' passwords are never read.",
		Attributes: map[string]schema.Attribute{
			"region": dataSourceLocationAttribute("region", "instances"),
			"zone":   dataSourceLocationAttribute("zone", "instances"),
			"name_regex": schema.StringAttribute{
				Optional: true, Validators: []validator.String{regexValidator{}},
				Description: "Only instances whose name matches this regular expression (Go RE2 syntax, matched anywhere in the name unless anchored).",
			},
			"state": schema.StringAttribute{
				Optional: true, Validators: nonEmpty,
				Description: "Only instances in this state, compared without regard to case, such as `Running` or `Stopped`.",
			},
			"ids": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				Validators:  []validator.Set{setvalidator.ValueStringsAre(uhostIDValidators...)},
				Description: "Only instances with one of these ids, such as `uhost-xxxx`. An empty set matches no instance.",
			},
			"instances": schema.ListNestedAttribute{
				Computed: true, Description: "The instances that pass every filter, in the order the API lists them.",
				NestedObject: schema.NestedAttributeObject{Attributes: listedInstanceAttributes()},
			},
		},
	}
}

func (d *instancesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateConfig refuses a zone outside the region.
func (d *instancesDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var config instancesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(config.checkZone(nil)...)
	}
}

func (d *instancesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model instancesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	resp.Diagnostics.Append(model.checkZone(d.data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	region, zone := model.resolve(d.data)
	filter := instanceFilter{state: model.State.ValueString()}
	if !model.NameRegex.IsNull() {
		filter.nameRegex = compileNameRegex(model.NameRegex.ValueString(), &resp.Diagnostics)
	}
	if !model.IDs.IsNull() {
		var list []string
		resp.Diagnostics.Append(model.IDs.ElementsAs(ctx, &list, false)...)
		filter.ids = idSet(list)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	all, err := d.data.client.Instances(ctx, region, zone)
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(err))
		return
	}
	model.Instances = []listedInstanceModel{}
	for _, inst := range all {
		if filter.keeps(inst) {
			model.Instances = append(model.Instances, listedInstance(inst))
		}
	}
	model.Region, model.Zone = types.StringValue(region), types.StringValue(zone)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// instanceFilter keeps the instances that pass every filter set: a name
// matching nameRegex, a state equal to state without regard to case, an id
// in ids (lower case).
type instanceFilter struct {
	nameRegex *regexp.Regexp
	state     string
	ids       map[string]bool
}

func (f instanceFilter) keeps(inst compshare.Instance) bool {
	return (f.nameRegex == nil || f.nameRegex.MatchString(inst.Name)) &&
		(f.state == "" || strings.EqualFold(f.state, inst.State)) &&
		(f.ids == nil || f.ids[strings.ToLower(inst.UHostID)])
}
