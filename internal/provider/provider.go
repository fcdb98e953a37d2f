// Package provider is the Terraform layer of the Compshare provider: schemas,
// configuration and diagnostics over the plain packages that do the work.
package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/ucloud/ucloud-sdk-go/external"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
)

var (
	_ provider.ProviderWithActions        = (*compshareProvider)(nil)
	_ provider.ProviderWithListResources  = (*compshareProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*compshareProvider)(nil)
)

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

	RequestTimeout       types.String  `tfsdk:"request_timeout"`
	MaxRequestsPerSecond types.Float64 `tfsdk:"max_requests_per_second"`

	Profile               types.String `tfsdk:"profile"`
	SharedCredentialsFile types.String `tfsdk:"shared_credentials_file"`
	SharedConfigFile      types.String `tfsdk:"shared_config_file"`
}

func (p *compshareProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "compshare"
	resp.Version = p.version
}

func (p *compshareProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The Compshare provider reads the progress of custom image builds on the Compshare GPU cloud " +
			"(UCloud's compute sharing platform) and waits for them, so that resources using an image are created once it is ready.",
		Attributes: map[string]schema.Attribute{
			"public_key": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "API public key, from the Compshare console's API management page. Defaults to the environment variable `COMPSHARE_PUBLIC_KEY`, then `UCLOUD_PUBLIC_KEY`, then the profile's key in the shared credentials file.",
			},
			"private_key": schema.StringAttribute{
				Optional:    true,
				Sensitive:   true,
				Validators:  nonEmpty,
				Description: "API private key, used only to sign requests; never logged or stored. Defaults to the environment variable `COMPSHARE_PRIVATE_KEY`, then `UCLOUD_PRIVATE_KEY`, then the profile's key in the shared credentials file.",
			},
			"region": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Default region of every data source and resource. Defaults to the environment variable `UCLOUD_REGION`, then the profile's region in the shared config file, else `" + settings.DefaultRegion + "`.",
			},
			"zone": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Default zone of every data source and resource. Defaults to the environment variable `UCLOUD_ZONE`, then the profile's zone in the shared config file, else `" + settings.DefaultZone + "`.",
			},
			"project_id": schema.StringAttribute{
				Optional:    true,
				Validators:  nonEmpty,
				Description: "Project to act in; sub-accounts must set it. Defaults to the environment variable `UCLOUD_PROJECT_ID`, then the profile's project in the shared config file, else none (the account's default project).",
			},
			"base_url": schema.StringAttribute{
				Optional:    true,
				Validators:  []validator.String{baseURLValidator{}},
				Description: "URL of the API, an http or https URL. Defaults to the environment variable `COMPSHARE_BASE_URL`, else `" + compshare.DefaultBaseURL + "`; never taken from the shared config file, whose `base_url` is UCloud's API. Point it at the local emulator (`cmd/compshare-emulator`) to try the provider without an account.",
			},
			"max_retries": schema.Int64Attribute{
				Optional:    true,
				Validators:  []validator.Int64{int64validator.Between(0, 10)},
				Description: "How often a transient failure (network error, timeout, HTTP 429/502/503/504, the gateway's RetCodes 110/150/153, RetCode >= 2000 other than a refusal such as sold out or a held operation lock) is retried, with exponential backoff, before it is reported. Defaults to 3.",
			},
			"request_timeout": schema.StringAttribute{
				Optional:    true,
				Validators:  []validator.String{requestTimeoutValidator},
				Description: "How long one HTTP request may take before it counts as a transient failure (and is retried), as a duration such as `10s` (1s to 5m). Defaults to `" + compshare.DefaultRequestTimeout.String() + "`.",
			},
			"max_requests_per_second": schema.Float64Attribute{
				Optional:   true,
				Validators: []validator.Float64{positiveValidator{}},
				Description: "Request budget of this provider configuration: the most API requests it sends in any second, retries included, " +
					"shared by all its data sources, resources and actions. Requests are spaced evenly (10 % wider than the budget allows, so that " +
					"delays on the way never bring one more into a second) and wait their turn in order, so a hundred waits stay polite and none " +
					"starves; a plan reading N different images takes at least N divided by this many seconds. " +
					"Greater than 0; fractions such as 0.5 are allowed. Defaults to 20.",
			},
			"profile": schema.StringAttribute{
				Optional:   true,
				Validators: nonEmpty,
				Description: "Profile of the UCloud CLI's shared files to read settings from. Defaults to the environment variable `UCLOUD_PROFILE`, " +
					"else `" + external.DefaultProfile + "`. A profile named here or in the environment must have a key pair in the shared credentials file " +
					"unless both keys are set otherwise.",
			},
			"shared_credentials_file": schema.StringAttribute{
				Optional:   true,
				Validators: nonEmpty,
				Description: "The UCloud CLI's credentials file, a JSON list of profiles with `public_key` and `private_key`; `~/` is the home directory. " +
					"Defaults to the environment variable `UCLOUD_SHARED_CREDENTIAL_FILE`, else `" + settings.DefaultSharedCredentialsFile + "`, which may be missing. " +
					"A file named here or in the environment must exist.",
			},
			"shared_config_file": schema.StringAttribute{
				Optional:   true,
				Validators: nonEmpty,
				Description: "The UCloud CLI's config file, a JSON list of profiles with `region`, `zone` and `project_id` (its `base_url` is not used); " +
					"`~/` is the home directory. Defaults to the environment variable `UCLOUD_SHARED_CONFIG_FILE`, else `" + settings.DefaultSharedConfigFile + "`, " +
					"which may be missing. A file named here or in the environment must exist.",
			},
		},
	}
}

// ValidateConfig refuses a zone outside the region when the block sets both,
// so that terraform validate catches it; Configure checks the values again
// with the environment, the profile and the defaults.
func (p *compshareProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var location locationModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("region"), &location.Region)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("zone"), &location.Zone)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(location.checkZone(nil)...)
	}
}

func (p *compshareProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	resp.Diagnostics.Append(unknownAttributes(ctx, req.Config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var model providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resolved, problems := settings.Resolve(model.settingsInput(), p.getenv)
	for _, problem := range problems {
		resp.Diagnostics.AddError(problem.Summary, problem.Detail)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resolved.Client.UserAgent = "terraform-provider-compshare/" + p.version
	client, err := compshare.New(resolved.Client)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Compshare provider configuration", err.Error())
		return
	}
	data := &providerData{client: client, region: resolved.Region, zone: resolved.Zone, fixedPollInterval: resolved.FixedPollInterval, builds: &instanceBuilds{}}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.ActionData = data
	resp.ListResourceData = data
}

// unknownAttributes reports every attribute of the provider block whose value
// is known only after apply: the provider is configured before that.
func unknownAttributes(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(config.Schema.GetAttributes())) {
		var value attr.Value
		diags.Append(config.GetAttribute(ctx, path.Root(name), &value)...)
		if value != nil && value.IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Unknown provider configuration value",
				fmt.Sprintf("The provider's %s depends on a value known only after apply. Set it to a value known at plan time, or use the environment.", name))
		}
	}
	return diags
}

// settingsInput turns the provider block into settings.Input; the schema's
// validators have checked every value.
func (m providerModel) settingsInput() settings.Input {
	in := settings.Input{
		PublicKey: m.PublicKey.ValueString(), PrivateKey: m.PrivateKey.ValueString(),
		Region: m.Region.ValueString(), Zone: m.Zone.ValueString(), ProjectID: m.ProjectID.ValueString(),
		BaseURL: m.BaseURL.ValueString(), MaxRetries: m.MaxRetries.ValueInt64Pointer(),
		MaxRequestsPerSecond: m.MaxRequestsPerSecond.ValueFloat64Pointer(), Profile: m.Profile.ValueString(),
		SharedCredentialsFile: m.SharedCredentialsFile.ValueString(), SharedConfigFile: m.SharedConfigFile.ValueString(),
	}
	in.RequestTimeout, _ = time.ParseDuration(m.RequestTimeout.ValueString()) // 0 when unset
	return in
}

func (p *compshareProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{newImageWaitResource, newCustomImageResource, newInstanceResource}
}

func (p *compshareProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newImageProgressDataSource, newCustomImagesDataSource, newCustomImageDataSource,
		newInstanceDataSource, newInstancesDataSource}
}

func (p *compshareProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{newCustomImageListResource, newInstanceListResource}
}

func (p *compshareProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{newImageWaitAction}
}
