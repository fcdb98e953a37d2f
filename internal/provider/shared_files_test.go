package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
)

// TestAccSharedFiles_profileKeys signs with keys found only in a UCloud CLI
// credentials file, under the profile the configuration chooses, and takes
// that profile's region and zone from the config file. Not parallel: it sets
// the environment.
func TestAccSharedFiles_profileKeys(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: "compshareImage-half", Region: "cn-sh2", Zone: "cn-sh2-02", Start: time.Now().Add(-500 * time.Hour), Total: 1000 * time.Hour},
	}})
	for _, name := range append(append(append(append([]string{}, settings.EnvPublicKey...), settings.EnvPrivateKey...), settings.EnvRegion...), settings.EnvZone...) {
		t.Setenv(name, "")
	}
	t.Setenv("UCLOUD_PROFILE", "")
	// The "default" profile's keys would be refused: the chosen one is used.
	dir := t.TempDir()
	t.Setenv("UCLOUD_SHARED_CREDENTIAL_FILE", writeFile(t, dir, "credential.json", fmt.Sprintf(`[
  {"public_key": "wrong-public-key", "private_key": "wrong-private-key", "profile": "default"},
  {"public_key": %q, "private_key": %q, "profile": "ci"}
]`, testPublicKey, testPrivateKey)))
	t.Setenv("UCLOUD_SHARED_CONFIG_FILE", writeFile(t, dir, "config.json",
		`[{"region": "cn-sh2", "zone": "cn-sh2-02", "base_url": "https://api.ucloud.cn", "profile": "ci"}]`))

	config := func(profile string) string {
		return providerBlock{BaseURL: srv.URL(), Profile: profile, Lines: []string{"max_retries = 1"}}.config() + progressConfig
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config("nokeys"),
				ExpectError: errorMatching(`profile "nokeys", chosen by attribute profile, has no key pair in the shared credentials file`),
			},
			{
				Config: config("ci"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("progress"), between(49.9, 50.1)),
					statecheck.ExpectKnownValue("data.compshare_image_progress.build", tfjsonpath.New("zone"), knownvalue.StringExact("cn-sh2-02")),
				},
			},
		},
	})
}
