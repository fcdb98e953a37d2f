package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/ucloud/ucloud-sdk-go/external"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// Environment variables the provider reads; the first one set wins.
var (
	envPublicKey  = []string{"COMPSHARE_PUBLIC_KEY", "UCLOUD_PUBLIC_KEY"}
	envPrivateKey = []string{"COMPSHARE_PRIVATE_KEY", "UCLOUD_PRIVATE_KEY"}
	envRegion     = []string{"UCLOUD_REGION"}
	envZone       = []string{"UCLOUD_ZONE"}
	envProjectID  = []string{"UCLOUD_PROJECT_ID"}
	envBaseURL    = []string{"COMPSHARE_BASE_URL"}

	envProfile               = []string{"UCLOUD_PROFILE"}
	envSharedCredentialsFile = []string{"UCLOUD_SHARED_CREDENTIAL_FILE"}
	envSharedConfigFile      = []string{"UCLOUD_SHARED_CONFIG_FILE"}
)

// envWaitSchedule replaces the adaptive schedule of waits with a fixed
// interval ("fixed:5s"), so that benchmarks can measure the baselines through
// the provider itself. Empty or "adaptive" keeps the adaptive schedule.
const envWaitSchedule = "COMPSHARE_WAIT_SCHEDULE"

// settings is the provider configuration after environment, shared files and defaults.
type settings struct {
	client compshare.Config
	region string
	zone   string
	// fixedPollInterval replaces the adaptive schedule of waits; 0: adaptive.
	fixedPollInterval time.Duration
}

// resolveSettings applies, per setting, the precedence attribute >
// environment > profile in the UCloud CLI's shared files > default.
func resolveSettings(m providerModel, getenv func(string) string) (settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	for name, v := range map[string]attr.Value{
		"public_key": m.PublicKey, "private_key": m.PrivateKey, "region": m.Region, "zone": m.Zone,
		"project_id": m.ProjectID, "base_url": m.BaseURL, "max_retries": m.MaxRetries, "request_timeout": m.RequestTimeout,
		"max_requests_per_second": m.MaxRequestsPerSecond, "profile": m.Profile,
		"shared_credentials_file": m.SharedCredentialsFile, "shared_config_file": m.SharedConfigFile,
	} {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Unknown provider configuration value",
				fmt.Sprintf("The provider's %s depends on a value known only after apply. Set it to a value known at plan time, or use the environment.", name))
		}
	}
	if diags.HasError() {
		return settings{}, diags
	}

	// pick returns the attribute's value, else the first environment variable set.
	pick := func(attribute types.String, name string, env []string) choice {
		if !attribute.IsNull() {
			return choice{attribute.ValueString(), "attribute " + name}
		}
		for _, variable := range env {
			if v := getenv(variable); v != "" {
				return choice{v, "environment variable " + variable}
			}
		}
		return choice{}
	}
	withDefault := func(c choice, fallback string) choice {
		if c.value == "" {
			c.value = fallback
		}
		return c
	}
	profile := withDefault(pick(m.Profile, "profile", envProfile), external.DefaultProfile)
	credentialsFile := withDefault(pick(m.SharedCredentialsFile, "shared_credentials_file", envSharedCredentialsFile), defaultSharedCredentialsFile)
	configFile := withDefault(pick(m.SharedConfigFile, "shared_config_file", envSharedConfigFile), defaultSharedConfigFile)
	publicKey, privateKey := pick(m.PublicKey, "public_key", envPublicKey).value, pick(m.PrivateKey, "private_key", envPrivateKey).value
	shared, err := loadSharedProfile(credentialsFile, configFile, profile, publicKey == "" || privateKey == "")
	if err != nil {
		diags.AddError("Cannot load the UCloud CLI profile", err.Error()+".")
		return settings{}, diags
	}

	s := settings{
		client: compshare.Config{
			PublicKey:  firstSet(publicKey, shared.publicKey),
			PrivateKey: firstSet(privateKey, shared.privateKey),
			ProjectID:  firstSet(pick(m.ProjectID, "project_id", envProjectID).value, shared.projectID),
			// Not from the shared files: their base_url is UCloud's API.
			BaseURL:    firstSet(pick(m.BaseURL, "base_url", envBaseURL).value, compshare.DefaultBaseURL),
			MaxRetries: compshare.DefaultMaxRetries,

			MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond,
		},
		region: firstSet(pick(m.Region, "region", envRegion).value, shared.region, DefaultRegion),
		zone:   firstSet(pick(m.Zone, "zone", envZone).value, shared.zone, DefaultZone),
	}
	if !m.MaxRetries.IsNull() {
		s.client.MaxRetries = int(m.MaxRetries.ValueInt64())
	}
	if !m.MaxRequestsPerSecond.IsNull() {
		s.client.MaxRequestsPerSecond = m.MaxRequestsPerSecond.ValueFloat64()
	}
	if !m.RequestTimeout.IsNull() {
		// Checked by requestTimeoutValidator.
		s.client.RequestTimeout, _ = time.ParseDuration(m.RequestTimeout.ValueString())
	}
	if v := getenv(envWaitSchedule); v != "" {
		var err error
		if s.fixedPollInterval, err = parseWaitSchedule(v); err != nil {
			diags.AddError("Invalid "+envWaitSchedule, fmt.Sprintf("The environment variable %s is invalid: %v.", envWaitSchedule, err))
		}
	}

	if s.client.PublicKey == "" || s.client.PrivateKey == "" {
		diags.AddError("Missing Compshare API keys",
			"The provider needs an API key pair. Set the provider attributes public_key and private_key, "+
				"or the environment variables COMPSHARE_PUBLIC_KEY and COMPSHARE_PRIVATE_KEY "+
				"(UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY are read too), "+
				fmt.Sprintf("or give profile %q a key pair in the shared credentials file %s ", profile.value, expandHome(credentialsFile.value))+
				"(choose them with the attributes profile and shared_credentials_file or the environment variables UCLOUD_PROFILE and UCLOUD_SHARED_CREDENTIAL_FILE). "+
				"Keys come from the Compshare console's API management page.")
	}
	if m.BaseURL.IsNull() {
		// The attribute has a validator; a value from the environment is checked here.
		if err := compshare.CheckBaseURL(s.client.BaseURL); err != nil {
			diags.AddError("Invalid COMPSHARE_BASE_URL", fmt.Sprintf("The environment variable COMPSHARE_BASE_URL is invalid: %v.", err))
		}
	}
	return s, diags
}

// firstSet returns the first non-empty value.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// baseURLValidator accepts absolute http(s) URLs.
type baseURLValidator struct{}

func (baseURLValidator) Description(context.Context) string {
	return "value must be an absolute http or https URL"
}

func (v baseURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (baseURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := compshare.CheckBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid base_url",
			fmt.Sprintf("Attribute %s is invalid: %v.", req.Path, err))
	}
}

// parseWaitSchedule reads COMPSHARE_WAIT_SCHEDULE: "adaptive" (0), or
// "fixed:" and an interval of at least schedule.MinInterval.
func parseWaitSchedule(v string) (time.Duration, error) {
	if v == "adaptive" {
		return 0, nil
	}
	interval, ok := strings.CutPrefix(v, "fixed:")
	d, err := time.ParseDuration(interval)
	if !ok || err != nil || d < schedule.MinInterval {
		return 0, fmt.Errorf("want \"adaptive\" or \"fixed:\" and an interval of at least %v such as fixed:5s, got %q", schedule.MinInterval, v)
	}
	return d, nil
}

// positiveValidator accepts numbers greater than 0.
type positiveValidator struct{}

func (positiveValidator) Description(context.Context) string { return "value must be greater than 0" }

func (v positiveValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v positiveValidator) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if n := req.ConfigValue.ValueFloat64(); !(n > 0) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
			fmt.Sprintf("Attribute %s %s, got: %v.", req.Path, v.Description(ctx), n))
	}
}
