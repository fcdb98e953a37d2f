package provider

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// nullModel is a provider block that sets nothing.
var nullModel = providerModel{
	PublicKey: types.StringNull(), PrivateKey: types.StringNull(), Region: types.StringNull(), Zone: types.StringNull(),
	ProjectID: types.StringNull(), BaseURL: types.StringNull(), MaxRetries: types.Int64Null(), MaxRequestsPerSecond: types.Float64Null(), RequestTimeout: types.StringNull(),
	Profile: types.StringNull(), SharedCredentialsFile: types.StringNull(), SharedConfigFile: types.StringNull(),
}

func TestResolveSettingsPrecedence(t *testing.T) {
	withAttributes := providerModel{
		PublicKey: types.StringValue("attr-pub"), PrivateKey: types.StringValue("attr-priv"), Region: types.StringValue("attr-region"),
		Zone: types.StringValue("attr-zone"), ProjectID: types.StringValue("attr-project"), BaseURL: types.StringValue("http://attr"),
		MaxRetries: types.Int64Value(0), MaxRequestsPerSecond: types.Float64Value(2.5), RequestTimeout: types.StringValue("10s"),
		Profile: types.StringValue("gpu"), SharedCredentialsFile: types.StringNull(), SharedConfigFile: types.StringNull(),
	}
	fullEnv := map[string]string{
		"COMPSHARE_PUBLIC_KEY": "cs-pub", "UCLOUD_PUBLIC_KEY": "uc-pub", "COMPSHARE_PRIVATE_KEY": "cs-priv", "UCLOUD_PRIVATE_KEY": "uc-priv",
		"UCLOUD_REGION": "env-region", "UCLOUD_ZONE": "env-zone", "UCLOUD_PROJECT_ID": "env-project", "COMPSHARE_BASE_URL": "http://env",
		"COMPSHARE_WAIT_SCHEDULE": "fixed:5s", "UCLOUD_PROFILE": "gpu",
	}
	cliFiles := map[string]string{"credential.json": testCredentialFile, "config.json": testConfigFile}
	// Files elsewhere hold the gpu profile as "default", to tell them from the CLI's.
	elsewhere := t.TempDir()
	otherCredentials := writeFile(t, elsewhere, "credential.json", `[{"public_key": "pub-other", "private_key": "priv-other", "profile": "default"}]`)
	otherConfig := writeFile(t, elsewhere, "config.json", `[{"region": "other-region", "zone": "other-zone", "profile": "default"}]`)
	namedFiles := nullModel
	namedFiles.SharedCredentialsFile, namedFiles.SharedConfigFile = types.StringValue(otherCredentials), types.StringValue(otherConfig)
	profileAttribute := nullModel
	profileAttribute.Profile = types.StringValue("default")
	for _, tc := range []struct {
		name  string
		model providerModel
		env   map[string]string
		home  map[string]string
		want  settings
	}{
		{"attributes win", withAttributes, fullEnv, cliFiles, settings{
			client: compshare.Config{PublicKey: "attr-pub", PrivateKey: "attr-priv", ProjectID: "attr-project", BaseURL: "http://attr", MaxRetries: 0, MaxRequestsPerSecond: 2.5, RequestTimeout: 10 * time.Second},
			region: "attr-region", zone: "attr-zone", fixedPollInterval: 5 * time.Second,
		}},
		{"COMPSHARE_ variables before UCLOUD_ ones, environment before shared files", nullModel, fullEnv, cliFiles, settings{
			client: compshare.Config{PublicKey: "cs-pub", PrivateKey: "cs-priv", ProjectID: "env-project", BaseURL: "http://env", MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: "env-region", zone: "env-zone", fixedPollInterval: 5 * time.Second,
		}},
		{"UCLOUD_ keys and defaults", nullModel, map[string]string{"UCLOUD_PUBLIC_KEY": "uc-pub", "UCLOUD_PRIVATE_KEY": "uc-priv"}, nil, settings{
			client: compshare.Config{PublicKey: "uc-pub", PrivateKey: "uc-priv", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: DefaultRegion, zone: DefaultZone,
		}},
		{"shared files fill the rest, but not base_url", nullModel, map[string]string{"UCLOUD_PROFILE": "gpu", "UCLOUD_PRIVATE_KEY": "uc-priv", "UCLOUD_ZONE": "env-zone"}, cliFiles, settings{
			client: compshare.Config{PublicKey: "pub-gpu", PrivateKey: "uc-priv", ProjectID: "org-gpu", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: "cn-sh2", zone: "env-zone",
		}},
		{"profile attribute before UCLOUD_PROFILE", profileAttribute, map[string]string{"UCLOUD_PROFILE": "gpu"}, cliFiles, settings{
			client: compshare.Config{PublicKey: "pub-default", PrivateKey: "priv-default", ProjectID: "org-default", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: "cn-wlcb", zone: "cn-wlcb-01",
		}},
		{"file attributes before variables and default locations", namedFiles, map[string]string{"UCLOUD_SHARED_CREDENTIAL_FILE": "/nonexistent", "UCLOUD_SHARED_CONFIG_FILE": "/nonexistent"}, cliFiles, settings{
			client: compshare.Config{PublicKey: "pub-other", PrivateKey: "priv-other", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: "other-region", zone: "other-zone",
		}},
		{"file variables before default locations", nullModel, map[string]string{"UCLOUD_SHARED_CREDENTIAL_FILE": otherCredentials, "UCLOUD_SHARED_CONFIG_FILE": otherConfig}, cliFiles, settings{
			client: compshare.Config{PublicKey: "pub-other", PrivateKey: "priv-other", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: "other-region", zone: "other-zone",
		}},
		{"a named profile needs no keys in the file when both are set", nullModel, map[string]string{"UCLOUD_PROFILE": "staging", "UCLOUD_PUBLIC_KEY": "uc-pub", "UCLOUD_PRIVATE_KEY": "uc-priv"}, cliFiles, settings{
			client: compshare.Config{PublicKey: "uc-pub", PrivateKey: "uc-priv", ProjectID: "org-staging", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: "cn-bj2", zone: "cn-bj2-05",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testHome(t, tc.home)
			got, diags := resolveSettings(tc.model, func(k string) string { return tc.env[k] })
			if diags.HasError() {
				t.Fatal(diags)
			}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestResolveSettingsErrors(t *testing.T) {
	null := nullModel
	noEnv := func(string) string { return "" }
	home := testHome(t, nil)

	_, diags := resolveSettings(null, noEnv)
	if len(diags) != 1 {
		t.Fatalf("want one error for missing keys, got %v", diags)
	}
	for _, name := range []string{
		"public_key", "private_key", "COMPSHARE_PUBLIC_KEY", "COMPSHARE_PRIVATE_KEY", "UCLOUD_PUBLIC_KEY", "UCLOUD_PRIVATE_KEY",
		`profile "default"`, "shared credentials file " + filepath.Join(home, ".ucloud", "credential.json"),
		"profile and shared_credentials_file", "UCLOUD_PROFILE and UCLOUD_SHARED_CREDENTIAL_FILE",
	} {
		if !strings.Contains(diags[0].Detail(), name) {
			t.Errorf("missing-key error does not name %s: %s", name, diags[0].Detail())
		}
	}

	onlyPublic := null
	onlyPublic.PublicKey = types.StringValue("pub")
	if _, diags := resolveSettings(onlyPublic, noEnv); !diags.HasError() {
		t.Error("a public key alone was accepted")
	}

	badEnvURL := null
	badEnvURL.PublicKey, badEnvURL.PrivateKey = types.StringValue("pub"), types.StringValue("priv")
	_, diags = resolveSettings(badEnvURL, func(k string) string {
		if k == "COMPSHARE_BASE_URL" {
			return "localhost:8080"
		}
		return ""
	})
	if !diags.HasError() || !strings.Contains(diags[0].Detail(), "COMPSHARE_BASE_URL") {
		t.Errorf("a bad COMPSHARE_BASE_URL was not reported: %v", diags)
	}

	unknown := badEnvURL
	unknown.PrivateKey = types.StringUnknown()
	_, diags = resolveSettings(unknown, noEnv)
	if !diags.HasError() || !strings.Contains(diags[0].Detail(), "private_key") {
		t.Errorf("an unknown private_key was not reported: %v", diags)
	}

	unknownBudget := badEnvURL
	unknownBudget.MaxRequestsPerSecond = types.Float64Unknown()
	_, diags = resolveSettings(unknownBudget, noEnv)
	if !diags.HasError() || !strings.Contains(diags[0].Detail(), "max_requests_per_second") {
		t.Errorf("an unknown max_requests_per_second was not reported: %v", diags)
	}
}

func TestResolveSettingsSharedFileErrors(t *testing.T) {
	dir := testHome(t, nil)
	credentials := writeFile(t, dir, "credential.json", testCredentialFile)
	malformed, missing := writeFile(t, dir, "broken.json", testMalformedFile), filepath.Join(dir, "nope.json")
	// withFiles sets the attributes given; "" leaves one unset.
	withFiles := func(credentials, config, profile string) providerModel {
		optional := func(v string) types.String {
			if v == "" {
				return types.StringNull()
			}
			return types.StringValue(v)
		}
		m := nullModel
		m.SharedCredentialsFile, m.SharedConfigFile, m.Profile = optional(credentials), optional(config), optional(profile)
		return m
	}
	keysInEnv := map[string]string{"COMPSHARE_PUBLIC_KEY": "cs-pub", "COMPSHARE_PRIVATE_KEY": "cs-priv"}
	for _, tc := range []struct {
		name  string
		model providerModel
		env   map[string]string
		want  []string
	}{
		{"UCLOUD_SHARED_CREDENTIAL_FILE missing", nullModel, map[string]string{"UCLOUD_SHARED_CREDENTIAL_FILE": missing},
			[]string{"shared credentials file " + missing + ", named by environment variable UCLOUD_SHARED_CREDENTIAL_FILE"}},
		{"shared_credentials_file missing, though keys are set", withFiles(missing, "", ""), keysInEnv,
			[]string{"shared credentials file " + missing + ", named by attribute shared_credentials_file"}},
		{"shared_config_file malformed", withFiles("", malformed, ""), nil,
			[]string{"shared config file " + malformed + ", named by attribute shared_config_file", "invalid character"}},
		{"UCLOUD_SHARED_CONFIG_FILE malformed", nullModel, map[string]string{"UCLOUD_SHARED_CONFIG_FILE": malformed},
			[]string{"shared config file " + malformed + ", named by environment variable UCLOUD_SHARED_CONFIG_FILE"}},
		{"profile without keys", withFiles(credentials, "", "staging"), nil,
			[]string{`profile "staging", chosen by attribute profile, has no key pair in the shared credentials file ` + credentials}},
		{"UCLOUD_PROFILE without a private key", withFiles(credentials, "", ""), map[string]string{"UCLOUD_PROFILE": "staging", "COMPSHARE_PRIVATE_KEY": "cs-priv"},
			[]string{`profile "staging", chosen by environment variable UCLOUD_PROFILE, has no key pair`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := resolveSettings(tc.model, func(k string) string { return tc.env[k] })
			if len(diags) != 1 {
				t.Fatalf("want one error, got %v", diags)
			}
			for _, w := range tc.want {
				if !strings.Contains(diags[0].Detail(), w) {
					t.Errorf("error %q does not mention %q", diags[0].Detail(), w)
				}
			}
			for _, secret := range append(testPrivateKeys, "cs-priv") {
				if strings.Contains(diags[0].Summary()+diags[0].Detail(), secret) {
					t.Errorf("error %q shows a private key", diags[0].Detail())
				}
			}
		})
	}
}

func TestResolveSettingsWaitSchedule(t *testing.T) {
	testHome(t, nil)
	model := providerModel{PublicKey: types.StringValue("pub"), PrivateKey: types.StringValue("priv")}
	for _, tc := range []struct {
		env  string
		want time.Duration
		err  bool
	}{
		{"", 0, false},
		{"adaptive", 0, false},
		{"fixed:1s", time.Second, false},
		{"fixed:10s", 10 * time.Second, false},
		{"fixed:100ms", 0, true},
		{"fixed:", 0, true},
		{"5s", 0, true},
		{"sometimes", 0, true},
	} {
		got, diags := resolveSettings(model, func(k string) string {
			if k == "COMPSHARE_WAIT_SCHEDULE" {
				return tc.env
			}
			return ""
		})
		if diags.HasError() != tc.err || got.fixedPollInterval != tc.want {
			t.Errorf("COMPSHARE_WAIT_SCHEDULE=%q: interval %v, diagnostics %v; want %v, error %t", tc.env, got.fixedPollInterval, diags, tc.want, tc.err)
		}
		if tc.err && !strings.Contains(diags[0].Detail(), "COMPSHARE_WAIT_SCHEDULE") {
			t.Errorf("error does not name the variable: %v", diags)
		}
	}
}
