package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

const (
	testPublicKey  = "test-public-key"
	testPrivateKey = "test-private-key-never-shown"
)

var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"compshare": providerserver.NewProtocol6WithError(New("test")()),
}

// startEmulator runs the Compshare API emulator on a random loopback port for
// one test, with the test key pair.
func startEmulator(t *testing.T, cfg emulator.Config) *emulator.Server {
	t.Helper()
	cfg.PublicKey, cfg.PrivateKey = testPublicKey, testPrivateKey
	srv, err := emulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// providerConfig configures the provider against the emulator at url.
func providerConfig(url string) string {
	return fmt.Sprintf(`
provider "compshare" {
  base_url    = %q
  public_key  = %q
  private_key = %q
  max_retries = 1
}
`, url, testPublicKey, testPrivateKey)
}
