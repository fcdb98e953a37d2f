package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// bench holds what every scenario shares: the Terraform CLI, the provider
// binary it runs through dev_overrides, and the emulator's key pair.
type bench struct {
	cli        *tfcli.CLI
	version    string // of the Terraform CLI
	work       string // temporary directory, removed by close
	env        []string
	publicKey  string
	privateKey string // signs requests; never printed
}

// setup finds the Terraform CLI (terraform, or what scripts/terraform-cli.sh
// prints when it is empty) and builds the provider.
func setup(ctx context.Context, terraform string) (*bench, error) {
	work, err := os.MkdirTemp("", "compshare-bench-")
	if err != nil {
		return nil, err
	}
	b := &bench{work: work, publicKey: "bench-public-key", privateKey: "bench-private-" + rand.Text()}
	progressf("building the provider")
	if b.cli, err = tfcli.Setup(ctx, work, terraform); err != nil {
		b.close()
		return nil, err
	}
	if b.version, err = terraformVersion(ctx, b.cli.Path); err != nil {
		b.close()
		return nil, err
	}
	progressf("Terraform %s at %s", b.version, b.cli.Path)
	// Keys from the environment keep them out of every configuration file,
	// and so out of any snippet Terraform prints.
	b.env = append(b.cli.Env(), "COMPSHARE_PUBLIC_KEY="+b.publicKey, "COMPSHARE_PRIVATE_KEY="+b.privateKey)
	return b, nil
}

func (b *bench) close() { _ = os.RemoveAll(b.work) }

func terraformVersion(ctx context.Context, terraform string) (string, error) {
	out, err := exec.CommandContext(ctx, terraform, "version", "-json").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", terraform, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return "", fmt.Errorf("%s version -json: unexpected output %q", terraform, out)
	}
	return v.Version, nil
}

// configDir writes a Terraform configuration into a new directory.
func (b *bench) configDir(name, config string) (string, error) {
	dir := filepath.Join(b.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644)
}

// providerBlock configures the provider against the emulator at url; the
// keys come from the environment.
func providerBlock(url, extra string) string {
	return tfcli.RequiredProviders + fmt.Sprintf(`
provider "compshare" {
  base_url = %q
  %s
}
`, url, extra)
}

// tf runs Terraform in dir with extra environment and returns how long it took.
func (b *bench) tf(ctx context.Context, dir string, extraEnv []string, args ...string) (time.Duration, error) {
	took, _, err := b.tfWatched(ctx, dir, extraEnv, false, args...)
	return took, err
}

// tfWatched runs Terraform like tf; with watch, it also returns the largest
// peak RSS (VmHWM, bytes) of the provider processes seen while it ran.
func (b *bench) tfWatched(ctx context.Context, dir string, extraEnv []string, watch bool, args ...string) (time.Duration, int64, error) {
	cmd := b.cli.Command(ctx, dir, append(slices.Clip(b.env), extraEnv...), append([]string{args[0], "-no-color"}, args[1:]...)...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	var peak int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	if watch {
		wg.Go(func() { peak = b.watchRSS(stop) })
	}
	err := cmd.Wait()
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		shown := strings.ReplaceAll(tail(output.String(), 3000), b.privateKey, "(private key)")
		return took, peak, fmt.Errorf("terraform %s in %s: %w\n%s", args[0], dir, err, shown)
	}
	return took, peak, nil
}

// watchRSS samples the provider processes until stop is closed.
func (b *bench) watchRSS(stop <-chan struct{}) int64 {
	var peak int64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		peak = max(peak, b.providerHWM())
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}

// providerHWM returns the largest VmHWM among running processes of the
// provider binary; the binary's path is private to this run.
func (b *bench) providerHWM() int64 {
	entries, _ := os.ReadDir("/proc")
	var peak int64
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); exe != b.cli.Provider {
			continue
		}
		status, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		for line := range strings.Lines(string(status)) {
			if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
				peak = max(peak, n*1024)
			}
		}
	}
	return peak
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
