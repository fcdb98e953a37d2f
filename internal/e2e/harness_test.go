package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

// requiredProviders makes the configuration name the provider's source, so
// that dev_overrides apply without terraform init.
const requiredProviders = `terraform {
  required_providers {
    compshare = {
      source = "compshare/compshare"
    }
  }
}
`

// commandTimeout bounds every Terraform command: a hang fails the test.
const commandTimeout = 60 * time.Second

// cli is set by TestMain when TF_ACC is set; without it the tests skip.
var cli *terraformCLI

type terraformCLI struct {
	path       string // the Terraform binary
	configFile string // CLI configuration whose dev_overrides point at the built provider
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "compshare-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if cli, err = prepareCLI(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// prepareCLI builds the provider binary once into tmp/bin and writes a CLI
// configuration that makes Terraform use it.
func prepareCLI(tmp string) (*terraformCLI, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return nil, fmt.Errorf("cannot find the module root (go env GOMOD: %q, %w)", gomod, err)
	}
	root := filepath.Dir(gomod)

	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-compshare"), ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the provider: %w\n%s", err, out)
	}

	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		find := exec.Command(filepath.Join(root, "scripts", "terraform-cli.sh"))
		find.Dir, find.Stderr = root, os.Stderr // the script reports a build on stderr
		out, err := find.Output()
		if err != nil {
			return nil, fmt.Errorf("scripts/terraform-cli.sh: %w", err)
		}
		path = strings.TrimSpace(string(out))
	}

	configFile := filepath.Join(tmp, "terraformrc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"compshare/compshare\" = %q\n  }\n  direct {}\n}\n", bin)
	if err := os.WriteFile(configFile, []byte(rc), 0o600); err != nil {
		return nil, err
	}
	return &terraformCLI{path: path, configFile: configFile}, nil
}

// workspace is one Terraform working directory with the environment its
// commands run in.
type workspace struct {
	t   *testing.T
	dir string
	env []string
}

// newWorkspace skips the test unless TF_ACC is set, so call it first.
func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	if cli == nil {
		t.Skip("End-to-end tests skipped unless env 'TF_ACC' set")
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + cli.configFile, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1"}
	for _, kv := range os.Environ() {
		// The caller's own Terraform, Compshare and UCloud settings (keys
		// included) must not leak into a test.
		if !hasAnyPrefix(kv, "TF_", "COMPSHARE_", "UCLOUD_", "CHECKPOINT_") {
			env = append(env, kv)
		}
	}
	return &workspace{t: t, dir: t.TempDir(), env: env}
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// setEnv adds NAME=value entries; later entries win.
func (w *workspace) setEnv(kv ...string) { w.env = append(w.env, kv...) }

func (w *workspace) write(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// command prepares a Terraform command in its own process group, so that a
// signal reaches Terraform and its provider plugins as a Ctrl-C would, and a
// timeout kills them all.
func (w *workspace) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, cli.path, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// result is what a finished Terraform command printed.
type result struct {
	args           []string
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("terraform %s: %v\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(r.args, " "), r.err, r.stdout, r.stderr)
}

// terraform runs a command to its end, or to commandTimeout.
func (w *workspace) terraform(args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := w.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("no end within %s: %w", commandTimeout, err)
	}
	return result{args: args, stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustTerraform runs a command that has to succeed.
func (w *workspace) mustTerraform(args ...string) result {
	w.t.Helper()
	r := w.terraform(args...)
	if r.err != nil {
		w.t.Fatal(r)
	}
	return r
}

// stateResources reads terraform.tfstate: the attributes of each resource
// instance by address ("type.name"), or none when there is no state file.
func (w *workspace) stateResources() map[string]map[string]any {
	w.t.Helper()
	data, err := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []struct {
				Attributes map[string]any
			}
		}
	}
	if err := json.Unmarshal(data, &state); err != nil {
		w.t.Fatalf("terraform.tfstate: %v", err)
	}
	resources := map[string]map[string]any{}
	for _, r := range state.Resources {
		if r.Mode == "managed" && len(r.Instances) == 1 {
			resources[r.Type+"."+r.Name] = r.Instances[0].Attributes
		}
	}
	return resources
}

// flat joins Terraform's wrapped lines and drops its diagnostic box drawing,
// so that a message can be matched whatever the line width.
func flat(s string) string {
	s = strings.NewReplacer("│", " ", "╷", " ", "╵", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// keyPair is an API key pair; the private key is random so that a leak of
// it cannot be mistaken for anything else.
type keyPair struct{ public, private string }

func newKeyPair(t *testing.T) keyPair {
	return keyPair{public: "e2e-public-" + randomHex(t), private: "e2e-private-" + randomHex(t)}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// startEmulator runs the API emulator on a random loopback port for one
// test, accepting only keys.
func startEmulator(t *testing.T, keys keyPair, cfg emulator.Config) *emulator.Server {
	t.Helper()
	cfg.PublicKey, cfg.PrivateKey = keys.public, keys.private
	srv, err := emulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// apiEnv points the provider at srv with keys through the environment.
func apiEnv(srv *emulator.Server, keys keyPair) []string {
	return []string{"COMPSHARE_BASE_URL=" + srv.URL(), "COMPSHARE_PUBLIC_KEY=" + keys.public, "COMPSHARE_PRIVATE_KEY=" + keys.private}
}

// building is an image whose build has run for done of its total length.
func building(id string, done, total time.Duration) emulator.Image {
	return emulator.Image{ID: id, Start: time.Now().Add(-done), Total: total}
}

// waitConfig waits for image id and gates a terraform_data on the wait.
func waitConfig(id string) string {
	return requiredProviders + fmt.Sprintf(`
resource "compshare_image_wait" "gpu" {
  image_id = %q
}

resource "terraform_data" "uses_image" {
  input = compshare_image_wait.gpu.completed_at
}
`, id)
}

// lockedBuffer collects a running command's output for reading meanwhile.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
