package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testCredentialFile = `[
  {"public_key": "pub-default", "private_key": "priv-default", "profile": "default"},
  {"public_key": "pub-gpu", "private_key": "priv-gpu", "profile": "gpu"}
]`

const testConfigFile = `[
  {"project_id": "org-default", "region": "cn-wlcb", "zone": "cn-wlcb-01", "base_url": "https://api.ucloud.cn", "profile": "default", "active": true},
  {"project_id": "org-gpu", "region": "cn-sh2", "zone": "cn-sh2-02", "base_url": "https://api.ucloud.cn", "profile": "gpu"},
  {"project_id": "org-staging", "region": "cn-bj2", "zone": "cn-bj2-05", "profile": "staging"}
]`

// testMalformedFile breaks off after a private key, which no error may show.
const testMalformedFile = `[{"public_key": "pub-broken", "private_key": "priv-broken", }]`

var testPrivateKeys = []string{"priv-default", "priv-gpu", "priv-broken"}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testHome makes a temporary $HOME holding the given files under .ucloud/.
func testHome(t *testing.T, files map[string]string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for name, content := range files {
		writeFile(t, home, filepath.Join(".ucloud", name), content)
	}
	return home
}

var (
	defaultCredentials = choice{value: DefaultSharedCredentialsFile}
	defaultConfig      = choice{value: DefaultSharedConfigFile}
	defaultProfile     = choice{value: "default"}
)

func named(value string) choice { return choice{value: value, by: "environment variable TEST"} }

func TestLoadSharedProfile(t *testing.T) {
	cliFiles := map[string]string{"credential.json": testCredentialFile, "config.json": testConfigFile}
	elsewhere := t.TempDir()
	credentials, config := writeFile(t, elsewhere, "credential.json", testCredentialFile), writeFile(t, elsewhere, "config.json", testConfigFile)
	for _, tc := range []struct {
		name                         string
		home                         map[string]string
		credentials, config, profile choice
		keysNeeded                   bool
		want                         sharedProfile
	}{
		{"default files, default profile", cliFiles, defaultCredentials, defaultConfig, defaultProfile, true,
			sharedProfile{publicKey: "pub-default", privateKey: "priv-default", region: "cn-wlcb", zone: "cn-wlcb-01", projectID: "org-default"}},
		{"named files, named profile", nil, named(credentials), named(config), named("gpu"), true,
			sharedProfile{publicKey: "pub-gpu", privateKey: "priv-gpu", region: "cn-sh2", zone: "cn-sh2-02", projectID: "org-gpu"}},
		{"~/ is the home directory", cliFiles, named("~/.ucloud/credential.json"), named("~/.ucloud/config.json"), named("gpu"), true,
			sharedProfile{publicKey: "pub-gpu", privateKey: "priv-gpu", region: "cn-sh2", zone: "cn-sh2-02", projectID: "org-gpu"}},
		{"default files may be missing", nil, defaultCredentials, defaultConfig, defaultProfile, true, sharedProfile{}},
		{"default profile without keys is no error here", nil, named(credentials), named(config), choice{value: "staging"}, true,
			sharedProfile{region: "cn-bj2", zone: "cn-bj2-05", projectID: "org-staging"}},
		{"named profile without keys when none are needed", nil, named(credentials), named(config), named("staging"), false,
			sharedProfile{region: "cn-bj2", zone: "cn-bj2-05", projectID: "org-staging"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testHome(t, tc.home)
			got, err := loadSharedProfile(tc.credentials, tc.config, tc.profile, tc.keysNeeded)
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestLoadSharedProfileErrors(t *testing.T) {
	dir := t.TempDir()
	credentials, config := writeFile(t, dir, "credential.json", testCredentialFile), writeFile(t, dir, "config.json", testConfigFile)
	malformed, missing := writeFile(t, dir, "broken.json", testMalformedFile), filepath.Join(dir, "nope.json")
	for _, tc := range []struct {
		name                         string
		home                         map[string]string
		credentials, config, profile choice
		want                         []string
	}{
		{"named credentials file missing", nil, named(missing), named(config), defaultProfile,
			[]string{"shared credentials file " + missing, "named by environment variable TEST", "no such file"}},
		{"named config file missing", nil, named(credentials), named(missing), defaultProfile,
			[]string{"shared config file " + missing, "named by environment variable TEST"}},
		{"credentials file malformed", nil, named(malformed), named(config), defaultProfile,
			[]string{"shared credentials file " + malformed, "invalid character"}},
		{"config file malformed", nil, named(credentials), named(malformed), defaultProfile,
			[]string{"shared config file " + malformed, "invalid character"}},
		{"default credentials file malformed", map[string]string{"credential.json": testMalformedFile}, defaultCredentials, defaultConfig, defaultProfile,
			[]string{"shared credentials file", filepath.Join(".ucloud", "credential.json"), "invalid character"}},
		{"named profile without keys", nil, named(credentials), named(config), named("staging"),
			[]string{`profile "staging", chosen by environment variable TEST, has no key pair in the shared credentials file ` + credentials}},
		{"named profile with default files missing", nil, defaultCredentials, defaultConfig, named("gpu"),
			[]string{`profile "gpu"`, "has no key pair", filepath.Join(".ucloud", "credential.json")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testHome(t, tc.home)
			_, err := loadSharedProfile(tc.credentials, tc.config, tc.profile, true)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range testPrivateKeys {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows a private key", err)
				}
			}
		})
	}
}
