// Package tfcli runs the real Terraform CLI on the provider built from this
// module, for the end-to-end tests and the benchmark: it finds the CLI, builds
// the provider once, points Terraform at that binary through dev_overrides (no
// registry, no terraform init), and runs commands in an environment cleared
// of the caller's own Terraform, Compshare and UCloud settings. HCL writes
// the configurations the tests give it, the acceptance tests' too.
package tfcli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProviderSource is the provider's source address, which dev_overrides map
// to the locally built binary.
const ProviderSource = "compshare/compshare"

// RequiredProviders is a terraform block naming ProviderSource: a
// configuration needs it for dev_overrides to apply (without it Terraform
// looks for hashicorp/compshare).
const RequiredProviders = `terraform {
  required_providers {
    compshare = {
      source = "` + ProviderSource + `"
    }
  }
}
`

// CLI is a Terraform CLI set up to run the locally built provider.
type CLI struct {
	Path       string // the Terraform binary
	ConfigFile string // CLI configuration whose dev_overrides point at Provider's directory
	Provider   string // the built provider binary
}

// Setup builds the provider of the Go module the working directory is in
// into dir/bin and writes the CLI configuration dir/terraformrc; dir must
// exist, and the caller removes it. terraform is the CLI's path; when empty,
// it is what the module's scripts/terraform-cli.sh prints (which may build
// Terraform first, reporting that on stderr).
func Setup(ctx context.Context, dir, terraform string) (*CLI, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return nil, fmt.Errorf("cannot find the module root (go env GOMOD: %q, %w)", gomod, err)
	}
	root := filepath.Dir(gomod)

	if terraform == "" {
		find := exec.CommandContext(ctx, filepath.Join(root, "scripts", "terraform-cli.sh"))
		find.Dir, find.Stderr = root, os.Stderr
		out, err := find.Output()
		if err != nil {
			return nil, fmt.Errorf("scripts/terraform-cli.sh: %w", err)
		}
		terraform = strings.TrimSpace(string(out))
	}

	provider := filepath.Join(dir, "bin", "terraform-provider-compshare")
	build := exec.CommandContext(ctx, "go", "build", "-o", provider, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the provider: %w\n%s", err, out)
	}

	configFile := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(configFile, []byte(devOverrides(filepath.Dir(provider))), 0o600); err != nil {
		return nil, err
	}
	return &CLI{Path: terraform, ConfigFile: configFile, Provider: provider}, nil
}

// devOverrides is a CLI configuration that takes ProviderSource from
// pluginDir and every other provider from its registry.
func devOverrides(pluginDir string) string {
	return HCL(`provider_installation {
  dev_overrides {
    {{hcl .Source}} = {{hcl .Dir}}
  }
  direct {}
}
`, map[string]string{"Source": ProviderSource, "Dir": pluginDir})
}

// Env is the environment for Terraform commands: this process's own, cleared
// as cleanEnv says, with the CLI configuration. Later entries win, so a
// caller may append its own settings.
func (c *CLI) Env() []string {
	return cleanEnv(os.Environ(), c.ConfigFile)
}

// cleanEnv drops from environ (NAME=value entries) the caller's own
// Terraform, Compshare and UCloud settings, keys included, so that none
// reaches a test or a measurement; it adds configFile as the CLI
// configuration, and turns off Terraform's version check over the network.
func cleanEnv(environ []string, configFile string) []string {
	env := []string{"TF_CLI_CONFIG_FILE=" + configFile, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}
	for _, kv := range environ {
		if !hasAnyPrefix(kv, "TF_", "COMPSHARE_", "UCLOUD_", "CHECKPOINT_") {
			env = append(env, kv)
		}
	}
	return env
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Command prepares `terraform args...` in dir with env. It runs in its own
// process group, so that a signal sent to -cmd.Process.Pid reaches Terraform
// and its provider plugins as a Ctrl-C would, and the end of ctx kills them
// all (their output is given up 5 seconds later).
func (c *CLI) Command(ctx context.Context, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Path, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// LockedBuffer collects a running command's output so that it can be read
// while the command still writes; the zero value is ready to use.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
