package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

var (
	_ list.ListResourceWithConfigure      = (*instanceListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*instanceListResource)(nil)
)

func newInstanceListResource() list.ListResource { return &instanceListResource{} }

// instanceListResource lists the account's GPU instances for `terraform
// query` (Terraform 1.14 and later), each with the identity that imports it
// as a compshare_instance.
type instanceListResource struct {
	data *providerData
}

type instanceListModel struct {
	locationModel
	NameRegex types.String `tfsdk:"name_regex"`
	State     types.String `tfsdk:"state"`
}

func (l *instanceListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (l *instanceListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	location := func(name string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Validators: nonEmpty,
			Description: "The " + name + " of the instances. Defaults to the provider's `" + name + "`."}
	}
	resp.Schema = schema.Schema{
		Description: "Lists the account's GPU instances in a region and zone (API action `" + compshare.ActionDescribeInstance + "`), " +
			"optionally filtered by name and state. Each result is named after the instance, its state and GPUs, and carries the " +
			"identity that imports it as a `compshare_instance`. Passwords are never read.",
		Attributes: map[string]schema.Attribute{
			"region": location("region"),
			"zone":   location("zone"),
			"name_regex": schema.StringAttribute{
				Optional: true, Validators: []validator.String{regexValidator{}},
				Description: "Only instances whose name matches this regular expression (Go RE2 syntax, matched anywhere in the name unless anchored).",
			},
			"state": schema.StringAttribute{
				Optional: true, Validators: nonEmpty,
				Description: "Only instances in this state, compared without regard to case, such as `Running` or `Stopped`.",
			},
		},
	}
}

func (l *instanceListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data, resp.Diagnostics = configuredData(req.ProviderData)
}

// ValidateListResourceConfig refuses a zone outside the region.
func (l *instanceListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var config instanceListModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(config.checkZone(nil)...)
	}
}

// List streams the instances that pass the filters, at most req.Limit.
func (l *instanceListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var config instanceListModel
	diags := req.Config.Get(ctx, &config)
	diags.Append(config.checkZone(l.data)...)
	filter := instanceFilter{state: config.State.ValueString()}
	if !config.NameRegex.IsNull() {
		filter.nameRegex = compileNameRegex(config.NameRegex.ValueString(), &diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	region, zone := config.resolve(l.data)
	stream.Results = func(push func(list.ListResult) bool) {
		all, err := l.data.client.Instances(ctx, region, zone)
		if err != nil {
			push(list.ListResult{Diagnostics: diag.Diagnostics{apiErrorDiagnostic(err)}})
			return
		}
		pushed := int64(0)
		for _, inst := range all {
			if !filter.keeps(inst) {
				continue
			}
			if !push(l.result(ctx, req, region, zone, inst)) {
				return
			}
			if pushed++; req.Limit > 0 && pushed >= req.Limit {
				return
			}
		}
	}
}

// result is one instance as a list result: a display name such as
// "trainer (Running, 2 x 4090)", its identity and, when asked for, the
// resource as import would find it.
func (l *instanceListResource) result(ctx context.Context, req list.ListRequest, region, zone string, inst compshare.Instance) list.ListResult {
	res := req.NewListResult(ctx)
	res.DisplayName = fmt.Sprintf("%s (%s, %d x %s)", inst.Name, inst.State, inst.GPU, inst.GpuType)
	res.Diagnostics.Append(res.Identity.Set(ctx, newInstanceIdentity(region, zone, inst.UHostID))...)
	if req.IncludeResource {
		m := instanceModel{
			ID:                types.StringValue(inst.UHostID),
			locationModel:     locationModel{Region: types.StringValue(region), Zone: types.StringValue(zone)},
			SecurityGroupID:   types.StringNull(),
			PasswordWO:        types.StringNull(),
			PasswordWOVersion: types.Int64Null(),
			BootDiskType:      types.StringNull(),
			BootDiskSizeGB:    types.Int64Null(),
			Running:           types.BoolNull(),
			Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
				"create": types.StringType, "update": types.StringType, "delete": types.StringType,
			})},
		}
		m.set(inst, false)
		res.Diagnostics.Append(res.Resource.Set(ctx, &m)...)
	}
	return res
}
