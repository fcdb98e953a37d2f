// Package settings resolves the provider configuration: per setting, the
// provider block's attribute wins over the environment, the environment over
// the profile in the UCloud CLI's shared files, and those over the defaults.
// It knows nothing of Terraform: the provider turns its block into an Input.
package settings

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/external"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// Defaults for region and zone when neither the configuration, the
// environment nor the shared config file names one.
const (
	DefaultRegion = "cn-wlcb"
	DefaultZone   = "cn-wlcb-01"
)

// Environment variables read; where a setting has several, the first one set wins.
var (
	EnvPublicKey  = []string{"COMPSHARE_PUBLIC_KEY", "UCLOUD_PUBLIC_KEY"}
	EnvPrivateKey = []string{"COMPSHARE_PRIVATE_KEY", "UCLOUD_PRIVATE_KEY"}
	EnvRegion     = []string{"UCLOUD_REGION"}
	EnvZone       = []string{"UCLOUD_ZONE"}
	EnvProjectID  = []string{"UCLOUD_PROJECT_ID"}
	EnvBaseURL    = []string{"COMPSHARE_BASE_URL"}

	EnvProfile               = []string{"UCLOUD_PROFILE"}
	EnvSharedCredentialsFile = []string{"UCLOUD_SHARED_CREDENTIAL_FILE"}
	EnvSharedConfigFile      = []string{"UCLOUD_SHARED_CONFIG_FILE"}
)

// EnvWaitSchedule replaces the adaptive schedule of waits with a fixed
// interval ("fixed:5s"), so that benchmarks can measure the baselines through
// the provider itself. Empty or "adaptive" keeps the adaptive schedule.
const EnvWaitSchedule = "COMPSHARE_WAIT_SCHEDULE"

// Input is what the provider block sets: "" and nil mean not set (the
// provider's schema refuses empty strings). Values are checked by the schema's
// validators before they get here.
type Input struct {
	PublicKey, PrivateKey, Region, Zone, ProjectID, BaseURL string
	MaxRetries                                              *int64
	RequestTimeout                                          time.Duration // 0: not set
	MaxRequestsPerSecond                                    *float64
	Profile, SharedCredentialsFile, SharedConfigFile        string
}

// Settings is the provider configuration after environment, shared files and defaults.
type Settings struct {
	Client compshare.Config
	Region string
	Zone   string
	// FixedPollInterval replaces the adaptive schedule of waits; 0: adaptive.
	FixedPollInterval time.Duration
}

// Problem is a setting that cannot be used, worded for the user.
type Problem struct{ Summary, Detail string }

func (p Problem) Error() string { return p.Summary + ": " + p.Detail }

// Resolve applies, per setting, the precedence attribute > environment >
// profile in the UCloud CLI's shared files > default. No Problem shows a key.
func Resolve(in Input, getenv func(string) string) (Settings, []Problem) {
	// pick returns the attribute's value, else the first environment variable set.
	pick := func(attribute, name string, env []string) choice {
		if attribute != "" {
			return choice{attribute, "attribute " + name}
		}
		for _, variable := range env {
			if v := getenv(variable); v != "" {
				return choice{v, "environment variable " + variable}
			}
		}
		return choice{}
	}
	withDefault := func(c choice, fallback string) choice {
		c.value = cmp.Or(c.value, fallback)
		return c
	}
	profile := withDefault(pick(in.Profile, "profile", EnvProfile), external.DefaultProfile)
	credentialsFile := withDefault(pick(in.SharedCredentialsFile, "shared_credentials_file", EnvSharedCredentialsFile), DefaultSharedCredentialsFile)
	configFile := withDefault(pick(in.SharedConfigFile, "shared_config_file", EnvSharedConfigFile), DefaultSharedConfigFile)
	publicKeyChoice, privateKeyChoice := pick(in.PublicKey, "public_key", EnvPublicKey), pick(in.PrivateKey, "private_key", EnvPrivateKey)
	publicKey, privateKey := publicKeyChoice.value, privateKeyChoice.value
	shared, err := loadSharedProfile(credentialsFile, configFile, profile, publicKey == "" || privateKey == "")
	if err != nil {
		return Settings{}, []Problem{{"Cannot load the UCloud CLI profile", err.Error() + "."}}
	}

	zone := pick(in.Zone, "zone", EnvZone)
	switch {
	case zone.value != "":
	case shared.zone != "":
		zone = choice{shared.zone, "the profile's zone"}
	default:
		zone = choice{DefaultZone, "the default"}
	}
	s := Settings{
		Client: compshare.Config{
			PublicKey:  cmp.Or(publicKey, shared.publicKey),
			PrivateKey: cmp.Or(privateKey, shared.privateKey),
			ProjectID:  cmp.Or(pick(in.ProjectID, "project_id", EnvProjectID).value, shared.projectID),
			// Not from the shared files: their base_url is UCloud's API.
			BaseURL:              cmp.Or(pick(in.BaseURL, "base_url", EnvBaseURL).value, compshare.DefaultBaseURL),
			MaxRetries:           compshare.DefaultMaxRetries,
			RequestTimeout:       in.RequestTimeout,
			MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond,
		},
		Region: cmp.Or(pick(in.Region, "region", EnvRegion).value, shared.region, DefaultRegion),
		Zone:   zone.value,
	}
	if in.MaxRetries != nil {
		s.Client.MaxRetries = int(*in.MaxRetries)
	}
	if in.MaxRequestsPerSecond != nil {
		s.Client.MaxRequestsPerSecond = *in.MaxRequestsPerSecond
	}

	var problems []Problem
	if !compshare.ZoneInRegion(s.Zone, s.Region) {
		problems = append(problems, Problem{"Zone not in region", fmt.Sprintf(
			"The provider's zone %q (%s) is not in its region %q: UCloud zones are named after their region, such as %s-01. "+
				"Set zone (the attribute, UCLOUD_ZONE or the profile's zone) to a zone of region %q, or set region to the zone's region.",
			zone.value, zone.by, s.Region, s.Region, s.Region)})
	}
	if v := getenv(EnvWaitSchedule); v != "" {
		var err error
		if s.FixedPollInterval, err = parseWaitSchedule(v); err != nil {
			problems = append(problems, Problem{"Invalid " + EnvWaitSchedule, fmt.Sprintf("The environment variable %s is invalid: %v.", EnvWaitSchedule, err)})
		}
	}
	if s.Client.PublicKey == "" || s.Client.PrivateKey == "" {
		// Say which key is missing, and where the other came from: a
		// private key set under a misspelt name must not read as "no keys".
		summary, need, what := "Missing Compshare API keys", "The provider needs an API key pair and has neither key. ", "a key pair"
		attributes, variables, others := "attributes public_key and private_key", "variables COMPSHARE_PUBLIC_KEY and COMPSHARE_PRIVATE_KEY", "UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY are read too"
		sharedKey := func(c choice) string {
			return cmp.Or(c.by, fmt.Sprintf("profile %q in %s", profile.value, expandHome(credentialsFile.value)))
		}
		switch {
		case s.Client.PublicKey != "":
			summary, what = "Missing Compshare API private key", "a private key"
			need = fmt.Sprintf("The provider has a public key (from %s) but no private key. ", sharedKey(publicKeyChoice))
			attributes, variables, others = "attribute private_key", "variable COMPSHARE_PRIVATE_KEY", "UCLOUD_PRIVATE_KEY is read too"
		case s.Client.PrivateKey != "":
			summary, what = "Missing Compshare API public key", "a public key"
			need = fmt.Sprintf("The provider has a private key (from %s) but no public key. ", sharedKey(privateKeyChoice))
			attributes, variables, others = "attribute public_key", "variable COMPSHARE_PUBLIC_KEY", "UCLOUD_PUBLIC_KEY is read too"
		}
		problems = append(problems, Problem{summary,
			need + fmt.Sprintf("Set the provider %s, or the environment %s (%s), ", attributes, variables, others) +
				fmt.Sprintf("or give profile %q %s in the shared credentials file %s ", profile.value, what, expandHome(credentialsFile.value)) +
				"(choose them with the attributes profile and shared_credentials_file or the environment variables UCLOUD_PROFILE and UCLOUD_SHARED_CREDENTIAL_FILE). " +
				"Keys come from the Compshare console's API management page."})
	}
	if in.BaseURL == "" {
		// The attribute has a validator; a value from the environment is checked here.
		if err := compshare.CheckBaseURL(s.Client.BaseURL); err != nil {
			problems = append(problems, Problem{"Invalid COMPSHARE_BASE_URL", fmt.Sprintf("The environment variable COMPSHARE_BASE_URL is invalid: %v.", err)})
		}
	}
	return s, problems
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
