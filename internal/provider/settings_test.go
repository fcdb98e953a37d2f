package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

func TestResolveSettingsPrecedence(t *testing.T) {
	null := providerModel{
		PublicKey: types.StringNull(), PrivateKey: types.StringNull(), Region: types.StringNull(), Zone: types.StringNull(),
		ProjectID: types.StringNull(), BaseURL: types.StringNull(), MaxRetries: types.Int64Null(), MaxRequestsPerSecond: types.Float64Null(),
	}
	withAttributes := providerModel{
		PublicKey: types.StringValue("attr-pub"), PrivateKey: types.StringValue("attr-priv"), Region: types.StringValue("attr-region"),
		Zone: types.StringValue("attr-zone"), ProjectID: types.StringValue("attr-project"), BaseURL: types.StringValue("http://attr"),
		MaxRetries: types.Int64Value(0), MaxRequestsPerSecond: types.Float64Value(2.5),
	}
	fullEnv := map[string]string{
		"COMPSHARE_PUBLIC_KEY": "cs-pub", "UCLOUD_PUBLIC_KEY": "uc-pub", "COMPSHARE_PRIVATE_KEY": "cs-priv", "UCLOUD_PRIVATE_KEY": "uc-priv",
		"UCLOUD_REGION": "env-region", "UCLOUD_ZONE": "env-zone", "UCLOUD_PROJECT_ID": "env-project", "COMPSHARE_BASE_URL": "http://env",
		"COMPSHARE_WAIT_SCHEDULE": "fixed:5s",
	}
	for _, tc := range []struct {
		name  string
		model providerModel
		env   map[string]string
		want  settings
	}{
		{"attributes win", withAttributes, fullEnv, settings{
			client: compshare.Config{PublicKey: "attr-pub", PrivateKey: "attr-priv", ProjectID: "attr-project", BaseURL: "http://attr", MaxRetries: 0, MaxRequestsPerSecond: 2.5},
			region: "attr-region", zone: "attr-zone", fixedPollInterval: 5 * time.Second,
		}},
		{"COMPSHARE_ variables before UCLOUD_ ones", null, fullEnv, settings{
			client: compshare.Config{PublicKey: "cs-pub", PrivateKey: "cs-priv", ProjectID: "env-project", BaseURL: "http://env", MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: "env-region", zone: "env-zone", fixedPollInterval: 5 * time.Second,
		}},
		{"UCLOUD_ keys and defaults", null, map[string]string{"UCLOUD_PUBLIC_KEY": "uc-pub", "UCLOUD_PRIVATE_KEY": "uc-priv"}, settings{
			client: compshare.Config{PublicKey: "uc-pub", PrivateKey: "uc-priv", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			region: DefaultRegion, zone: DefaultZone,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
	null := providerModel{
		PublicKey: types.StringNull(), PrivateKey: types.StringNull(), Region: types.StringNull(), Zone: types.StringNull(),
		ProjectID: types.StringNull(), BaseURL: types.StringNull(), MaxRetries: types.Int64Null(), MaxRequestsPerSecond: types.Float64Null(),
	}
	noEnv := func(string) string { return "" }

	_, diags := resolveSettings(null, noEnv)
	if len(diags) != 1 {
		t.Fatalf("want one error for missing keys, got %v", diags)
	}
	for _, name := range []string{"public_key", "private_key", "COMPSHARE_PUBLIC_KEY", "COMPSHARE_PRIVATE_KEY", "UCLOUD_PUBLIC_KEY", "UCLOUD_PRIVATE_KEY"} {
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

func TestResolveSettingsWaitSchedule(t *testing.T) {
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
