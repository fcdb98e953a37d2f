package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/compshare/terraform-provider-compshare/internal/provider"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	quietUnreadLogs(os.Getenv, os.Setenv)

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/compshare/compshare",
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietUnreadLogs turns the plugin SDK's and the provider's logs off when
// nobody reads them. By default the SDK writes every protocol and framework
// step as a JSON trace line for Terraform to parse and throw away: a third
// of the provider's CPU time in a plan. Terraform shows provider logs only
// with TF_LOG or TF_LOG_PROVIDER; acceptance tests keep them with
// TF_ACC_LOG_PATH or TF_LOG_PATH_MASK. Levels set explicitly are kept.
func quietUnreadLogs(getenv func(string) string, setenv func(string, string) error) {
	for _, wanted := range []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_ACC_LOG_PATH", "TF_LOG_PATH_MASK"} {
		if getenv(wanted) != "" {
			return
		}
	}
	for _, level := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER"} {
		if getenv(level) == "" {
			_ = setenv(level, "OFF")
		}
	}
}
