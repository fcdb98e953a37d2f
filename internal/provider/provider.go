// Package provider is the Terraform layer of the Compshare provider: schemas,
// configuration and diagnostics over the plain packages that do the work.
package provider

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// Defaults for region and zone when neither the configuration nor the
// environment names one.
const (
	DefaultRegion = "cn-wlcb"
	DefaultZone   = "cn-wlcb-01"
)

var _ provider.ProviderWithActions = (*compshareProvider)(nil)

type compshareProvider struct {
	version string
	getenv  func(string) string
}

// New returns the provider factory for the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &compshareProvider{version: version, getenv: os.Getenv}
	}
}

type providerModel struct {
	PublicKey  types.String `tfsdk:"public_key"`
	PrivateKey types.String `tfsdk:"private_key"`
	Region     types.String `tfsdk:"region"`
	Zone       types.String `tfsdk:"zone"`
	ProjectID  types.String `tfsdk:"project_id"`
	BaseURL    types.String `tfsdk:"base_url"`
	MaxRetries types.Int64  `tfsdk:"max_retries"`
}

// providerData is what data sources and resources receive from Configure.
type providerData struct {
	client *compshare.Client
	region string
	zone   string
}

func (p *compshareProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "compshare"
	resp.Version = p.version
}

func (p *compshareProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	resp.Schema = schema.Schema{
		Description: "The Compshare provider reads the progress of custom image builds on the Compshare GPU cloud " +
			"(UCloud's compute sharing platform) and waits for them, so that resources using an image are created once it is ready.",
		Attributes: map[string]schema.Attribute{
			"public_key": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "API public key, from the Compshare console's API management page. Defaults to the environment variable `COMPSHARE_PUBLIC_KEY`, then `UCLOUD_PUBLIC_KEY`.",
			},
			"private_key": schema.StringAttribute{
				Optional:    true,
				Sensitive:   true,
				Validators:  nonEmpty,
				Description: "API private key, used only to sign requests; never logged or stored. Defaults to the environment variable `COMPSHARE_PRIVATE_KEY`, then `UCLOUD_PRIVATE_KEY`.",
			},
			"region": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Default region of every data source and resource. Defaults to the environment variable `UCLOUD_REGION`, else `" + DefaultRegion + "`.",
			},
			"zone": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Default zone of every data source and resource. Defaults to the environment variable `UCLOUD_ZONE`, else `" + DefaultZone + "`.",
			},
			"project_id": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Project to act in; sub-accounts must set it. Defaults to the environment variable `UCLOUD_PROJECT_ID`, else none (the account's default project).",
			},
			"base_url": schema.StringAttribute{
				Optional:    true,
				Validators:  []validator.String{baseURLValidator{}},
				Description: "URL of the API, an http or https URL. Defaults to the environment variable `COMPSHARE_BASE_URL`, else `" + compshare.DefaultBaseURL + "`. Point it at the local emulator (`cmd/compshare-emulator`) to try the provider without an account.",
			},
			"max_retries": schema.Int64Attribute{
				Optional:    true,
				Validators:  []validator.Int64{int64validator.Between(0, 10)},
				Description: "How often a transient failure (network error, timeout, HTTP 429/502/503/504, RetCode >= 2000) is retried, with exponential backoff, before it is reported. Defaults to 3.",
			},
		},
	}
}

func (p *compshareProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var model providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	settings, diags := resolveSettings(model, p.getenv)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	settings.client.UserAgent = "terraform-provider-compshare/" + p.version
	client, err := compshare.New(settings.client)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Compshare provider configuration", err.Error())
		return
	}
	data := &providerData{client: client, region: settings.region, zone: settings.zone}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.ActionData = data
}

func (p *compshareProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{newImageWaitResource}
}

func (p *compshareProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newImageProgressDataSource}
}

func (p *compshareProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{newImageWaitAction}
}
