package settings

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

func TestResolvePrecedence(t *testing.T) {
	withAttributes := Input{
		PublicKey: "attr-pub", PrivateKey: "attr-priv", Region: "attr-region", Zone: "attr-region-01", ProjectID: "attr-project",
		BaseURL: "http://attr", MaxRetries: new(int64(0)), MaxRequestsPerSecond: new(2.5), RequestTimeout: 10 * time.Second, Profile: "gpu",
	}
	fullEnv := map[string]string{
		"COMPSHARE_PUBLIC_KEY": "cs-pub", "UCLOUD_PUBLIC_KEY": "uc-pub", "COMPSHARE_PRIVATE_KEY": "cs-priv", "UCLOUD_PRIVATE_KEY": "uc-priv",
		"UCLOUD_REGION": "env-region", "UCLOUD_ZONE": "env-region-01", "UCLOUD_PROJECT_ID": "env-project", "COMPSHARE_BASE_URL": "http://env",
		"COMPSHARE_WAIT_SCHEDULE": "fixed:5s", "UCLOUD_PROFILE": "gpu",
	}
	cliFiles := map[string]string{"credential.json": testCredentialFile, "config.json": testConfigFile}
	// Files elsewhere hold the gpu profile as "default", to tell them from the CLI's.
	elsewhere := t.TempDir()
	otherCredentials := writeFile(t, elsewhere, "credential.json", `[{"public_key": "pub-other", "private_key": "priv-other", "profile": "default"}]`)
	otherConfig := writeFile(t, elsewhere, "config.json", `[{"region": "other-region", "zone": "other-region-01", "profile": "default"}]`)
	namedFiles := Input{SharedCredentialsFile: otherCredentials, SharedConfigFile: otherConfig}
	profileAttribute := Input{Profile: "default"}
	for _, tc := range []struct {
		name  string
		input Input
		env   map[string]string
		home  map[string]string
		want  Settings
	}{
		{"attributes win", withAttributes, fullEnv, cliFiles, Settings{
			Client: compshare.Config{PublicKey: "attr-pub", PrivateKey: "attr-priv", ProjectID: "attr-project", BaseURL: "http://attr", MaxRetries: 0, MaxRequestsPerSecond: 2.5, RequestTimeout: 10 * time.Second},
			Region: "attr-region", Zone: "attr-region-01", FixedPollInterval: 5 * time.Second,
		}},
		{"COMPSHARE_ variables before UCLOUD_ ones, environment before shared files", Input{}, fullEnv, cliFiles, Settings{
			Client: compshare.Config{PublicKey: "cs-pub", PrivateKey: "cs-priv", ProjectID: "env-project", BaseURL: "http://env", MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			Region: "env-region", Zone: "env-region-01", FixedPollInterval: 5 * time.Second,
		}},
		{"UCLOUD_ keys and defaults", Input{}, map[string]string{"UCLOUD_PUBLIC_KEY": "uc-pub", "UCLOUD_PRIVATE_KEY": "uc-priv"}, nil, Settings{
			Client: compshare.Config{PublicKey: "uc-pub", PrivateKey: "uc-priv", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			Region: DefaultRegion, Zone: DefaultZone,
		}},
		{"shared files fill the rest, but not base_url", Input{}, map[string]string{"UCLOUD_PROFILE": "gpu", "UCLOUD_PRIVATE_KEY": "uc-priv", "UCLOUD_ZONE": "cn-sh2-03"}, cliFiles, Settings{
			Client: compshare.Config{PublicKey: "pub-gpu", PrivateKey: "uc-priv", ProjectID: "org-gpu", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			Region: "cn-sh2", Zone: "cn-sh2-03",
		}},
		{"profile attribute before UCLOUD_PROFILE", profileAttribute, map[string]string{"UCLOUD_PROFILE": "gpu"}, cliFiles, Settings{
			Client: compshare.Config{PublicKey: "pub-default", PrivateKey: "priv-default", ProjectID: "org-default", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			Region: "cn-wlcb", Zone: "cn-wlcb-01",
		}},
		{"file attributes before variables and default locations", namedFiles, map[string]string{"UCLOUD_SHARED_CREDENTIAL_FILE": "/nonexistent", "UCLOUD_SHARED_CONFIG_FILE": "/nonexistent"}, cliFiles, Settings{
			Client: compshare.Config{PublicKey: "pub-other", PrivateKey: "priv-other", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			Region: "other-region", Zone: "other-region-01",
		}},
		{"file variables before default locations", Input{}, map[string]string{"UCLOUD_SHARED_CREDENTIAL_FILE": otherCredentials, "UCLOUD_SHARED_CONFIG_FILE": otherConfig}, cliFiles, Settings{
			Client: compshare.Config{PublicKey: "pub-other", PrivateKey: "priv-other", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			Region: "other-region", Zone: "other-region-01",
		}},
		{"a named profile needs no keys in the file when both are set", Input{}, map[string]string{"UCLOUD_PROFILE": "staging", "UCLOUD_PUBLIC_KEY": "uc-pub", "UCLOUD_PRIVATE_KEY": "uc-priv"}, cliFiles, Settings{
			Client: compshare.Config{PublicKey: "uc-pub", PrivateKey: "uc-priv", ProjectID: "org-staging", BaseURL: compshare.DefaultBaseURL, MaxRetries: compshare.DefaultMaxRetries, MaxRequestsPerSecond: compshare.DefaultMaxRequestsPerSecond},
			Region: "cn-bj2", Zone: "cn-bj2-05",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testHome(t, tc.home)
			got, problems := Resolve(tc.input, func(k string) string { return tc.env[k] })
			if problems != nil {
				t.Fatal(problems)
			}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	noEnv := func(string) string { return "" }
	home := testHome(t, nil)

	_, problems := Resolve(Input{}, noEnv)
	if len(problems) != 1 {
		t.Fatalf("want one error for missing keys, got %v", problems)
	}
	for _, name := range []string{
		"public_key", "private_key", "COMPSHARE_PUBLIC_KEY", "COMPSHARE_PRIVATE_KEY", "UCLOUD_PUBLIC_KEY", "UCLOUD_PRIVATE_KEY",
		`profile "default"`, "shared credentials file " + filepath.Join(home, ".ucloud", "credential.json"),
		"profile and shared_credentials_file", "UCLOUD_PROFILE and UCLOUD_SHARED_CREDENTIAL_FILE",
	} {
		if !strings.Contains(problems[0].Detail, name) {
			t.Errorf("missing-key error does not name %s: %s", name, problems[0].Detail)
		}
	}

	// One key alone: the error names the missing one, and where the other came from.
	for _, tc := range []struct {
		name        string
		in          Input
		env         map[string]string
		summary     string
		mention     []string
		mentionNone string
	}{
		{"public key attribute alone", Input{PublicKey: "pub-secret"}, nil, "Missing Compshare API private key",
			[]string{"has a public key (from attribute public_key) but no private key", "attribute private_key", "variable COMPSHARE_PRIVATE_KEY", "UCLOUD_PRIVATE_KEY is read too", `profile "default" a private key`}, "COMPSHARE_PUBLIC_KEY"},
		{"private key variable alone", Input{}, map[string]string{"UCLOUD_PRIVATE_KEY": "priv-secret"}, "Missing Compshare API public key",
			[]string{"has a private key (from environment variable UCLOUD_PRIVATE_KEY) but no public key", "attribute public_key", "variable COMPSHARE_PUBLIC_KEY"}, "COMPSHARE_PRIVATE_KEY"},
	} {
		_, problems := Resolve(tc.in, func(k string) string { return tc.env[k] })
		if len(problems) != 1 || problems[0].Summary != tc.summary {
			t.Errorf("%s: %v, want one problem %q", tc.name, problems, tc.summary)
			continue
		}
		for _, m := range tc.mention {
			if !strings.Contains(problems[0].Detail, m) {
				t.Errorf("%s: %q does not say %q", tc.name, problems[0].Detail, m)
			}
		}
		if strings.Contains(problems[0].Detail, tc.mentionNone) || strings.Contains(problems[0].Error(), "secret") {
			t.Errorf("%s: %q names %s or shows the key", tc.name, problems[0].Detail, tc.mentionNone)
		}
	}

	_, problems = Resolve(Input{PublicKey: "pub", PrivateKey: "priv"}, func(k string) string {
		if k == "COMPSHARE_BASE_URL" {
			return "localhost:8080"
		}
		return ""
	})
	if len(problems) != 1 || !strings.Contains(problems[0].Detail, "COMPSHARE_BASE_URL") {
		t.Errorf("a bad COMPSHARE_BASE_URL was not reported: %v", problems)
	}

	// The provider's default zone is not in a region set alone.
	_, problems = Resolve(Input{PublicKey: "pub", PrivateKey: "priv", Region: "cn-sh2"}, noEnv)
	if len(problems) != 1 || !strings.Contains(problems[0].Detail, `zone "cn-wlcb-01" (the default) is not in its region "cn-sh2"`) {
		t.Errorf("a zone outside the region was not reported as the default: %v", problems)
	}
	_, problems = Resolve(Input{PublicKey: "pub", PrivateKey: "priv", Region: "cn-sh2", Zone: "cn-bj2-02"}, noEnv)
	if len(problems) != 1 || !strings.Contains(problems[0].Detail, `zone "cn-bj2-02" (attribute zone) is not in its region "cn-sh2"`) {
		t.Errorf("a zone set outside the region was not reported as set: %v", problems)
	}
	if _, problems := Resolve(Input{PublicKey: "pub", PrivateKey: "priv", Region: "cn-sh2", Zone: "cn-sh2-02"}, noEnv); problems != nil {
		t.Errorf("a zone of the region was refused: %v", problems)
	}
}

func TestResolveSharedFileErrors(t *testing.T) {
	dir := testHome(t, nil)
	credentials := writeFile(t, dir, "credential.json", testCredentialFile)
	malformed, missing := writeFile(t, dir, "broken.json", testMalformedFile), filepath.Join(dir, "nope.json")
	// withFiles sets the attributes given; "" leaves one unset.
	withFiles := func(credentials, config, profile string) Input {
		return Input{SharedCredentialsFile: credentials, SharedConfigFile: config, Profile: profile}
	}
	keysInEnv := map[string]string{"COMPSHARE_PUBLIC_KEY": "cs-pub", "COMPSHARE_PRIVATE_KEY": "cs-priv"}
	for _, tc := range []struct {
		name  string
		input Input
		env   map[string]string
		want  []string
	}{
		{"UCLOUD_SHARED_CREDENTIAL_FILE missing", Input{}, map[string]string{"UCLOUD_SHARED_CREDENTIAL_FILE": missing},
			[]string{"shared credentials file " + missing + ", named by environment variable UCLOUD_SHARED_CREDENTIAL_FILE"}},
		{"shared_credentials_file missing, though keys are set", withFiles(missing, "", ""), keysInEnv,
			[]string{"shared credentials file " + missing + ", named by attribute shared_credentials_file"}},
		{"shared_config_file malformed", withFiles("", malformed, ""), nil,
			[]string{"shared config file " + malformed + ", named by attribute shared_config_file", "invalid character"}},
		{"UCLOUD_SHARED_CONFIG_FILE malformed", Input{}, map[string]string{"UCLOUD_SHARED_CONFIG_FILE": malformed},
			[]string{"shared config file " + malformed + ", named by environment variable UCLOUD_SHARED_CONFIG_FILE"}},
		{"profile without keys", withFiles(credentials, "", "staging"), nil,
			[]string{`profile "staging", chosen by attribute profile, has no key pair in the shared credentials file ` + credentials}},
		{"UCLOUD_PROFILE without a private key", withFiles(credentials, "", ""), map[string]string{"UCLOUD_PROFILE": "staging", "COMPSHARE_PRIVATE_KEY": "cs-priv"},
			[]string{`profile "staging", chosen by environment variable UCLOUD_PROFILE, has no key pair`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := Resolve(tc.input, func(k string) string { return tc.env[k] })
			if len(problems) != 1 {
				t.Fatalf("want one error, got %v", problems)
			}
			for _, w := range tc.want {
				if !strings.Contains(problems[0].Detail, w) {
					t.Errorf("error %q does not mention %q", problems[0].Detail, w)
				}
			}
			for _, secret := range append(testPrivateKeys, "cs-priv") {
				if strings.Contains(problems[0].Error(), secret) {
					t.Errorf("error %q shows a private key", problems[0].Detail)
				}
			}
		})
	}
}

func TestResolveWaitSchedule(t *testing.T) {
	testHome(t, nil)
	input := Input{PublicKey: "pub", PrivateKey: "priv"}
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
		got, problems := Resolve(input, func(k string) string {
			if k == "COMPSHARE_WAIT_SCHEDULE" {
				return tc.env
			}
			return ""
		})
		if (problems != nil) != tc.err || got.FixedPollInterval != tc.want {
			t.Errorf("COMPSHARE_WAIT_SCHEDULE=%q: interval %v, problems %v; want %v, error %t", tc.env, got.FixedPollInterval, problems, tc.want, tc.err)
		}
		if tc.err && !strings.Contains(problems[0].Detail, "COMPSHARE_WAIT_SCHEDULE") {
			t.Errorf("error does not name the variable: %v", problems)
		}
	}
}
