package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// commandTimeout bounds every Terraform command: a hang fails the test.
const commandTimeout = 60 * time.Second

// cli is set by TestMain when TF_ACC is set; without it the tests skip.
var cli *tfcli.CLI

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
	if cli, err = tfcli.Setup(context.Background(), tmp, os.Getenv("TF_ACC_TERRAFORM_PATH")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
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
	return &workspace{t: t, dir: t.TempDir(), env: cli.Env()}
}

// setEnv adds NAME=value entries; later entries win.
func (w *workspace) setEnv(kv ...string) { w.env = append(w.env, kv...) }

func (w *workspace) write(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// command prepares a Terraform command in the workspace; see tfcli.CLI.Command.
func (w *workspace) command(ctx context.Context, args ...string) *exec.Cmd {
	return cli.Command(ctx, w.dir, w.env, args...)
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
	return w.terraformTee(io.Discard, args...)
}

// terraformTee is terraform that also writes the command's standard output
// to tee as it comes.
func (w *workspace) terraformTee(tee io.Writer, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := w.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, tee), &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("no end within %s: %w", commandTimeout, err)
	}
	return result{args: args, stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustTerraform runs a command that has to succeed.
func (w *workspace) mustTerraform(args ...string) result {
	w.t.Helper()
	return w.mustTerraformTee(io.Discard, args...)
}

// mustTerraformTee is mustTerraform that also writes the command's standard
// output to tee as it comes.
func (w *workspace) mustTerraformTee(tee io.Writer, args ...string) result {
	w.t.Helper()
	r := w.terraformTee(tee, args...)
	if r.err != nil {
		w.t.Fatal(r)
	}
	return r
}

// pausedClock is an emulator clock that stands still at its moment at until
// resume, then runs at the wall clock's pace.
type pausedClock struct {
	at time.Time

	mu      sync.Mutex
	resumed time.Time // zero while paused
}

func (c *pausedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resumed.IsZero() {
		return c.at
	}
	return c.at.Add(time.Since(c.resumed))
}

func (c *pausedClock) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resumed.IsZero() {
		c.resumed = time.Now()
	}
}

// resumeOn returns a writer that resumes the clock once marker was written
// to it: tee a command's output to it, and a build stands still while
// Terraform starts and plans, however slow the machine.
func (c *pausedClock) resumeOn(marker string) io.Writer {
	return &markerWatch{marker: marker, seen: c.resume}
}

// markerWatch calls seen once marker was written to it, across writes.
type markerWatch struct {
	marker  string
	written strings.Builder
	seen    func()
}

func (m *markerWatch) Write(p []byte) (int, error) {
	m.written.Write(p)
	if strings.Contains(m.written.String(), m.marker) {
		m.seen()
	}
	return len(p), nil
}

// wallClock is the wall-clock moment of a moment t of a resumed clock.
func (c *pausedClock) wallClock(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return t.Add(c.resumed.Sub(c.at))
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

// waitConfig waits for image id and gates a terraform_data on the wait;
// extra is more attributes of the wait, as HCL.
func waitConfig(id, extra string) string {
	return tfcli.RequiredProviders + tfcli.HCL(`
resource "compshare_image_wait" "gpu" {
  image_id = {{hcl .ID}}
  {{.Extra}}
}

resource "terraform_data" "uses_image" {
  input = compshare_image_wait.gpu.completed_at
}
`, map[string]string{"ID": id, "Extra": extra})
}
