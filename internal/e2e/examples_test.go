package e2e

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// examplesDir is the repository's examples/, seen from this package.
const examplesDir = "../../examples"

// exampleDirs lists the directories under examples/ that hold .tf files.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".tf") && !slices.Contains(dirs, filepath.Dir(path)) {
			dirs = append(dirs, filepath.Dir(path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dirs, filepath.Join(examplesDir, "demo")) {
		t.Fatalf("examples/demo not among the examples found: %v", dirs)
	}
	return dirs
}

// copyExample copies the .tf files of an example directory into w and
// returns their text.
func copyExample(w *workspace, dir string) string {
	w.t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		w.t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			w.t.Fatal(err)
		}
		w.write(filepath.Base(f), string(data))
		all.Write(data)
	}
	return all.String()
}

func TestExamplesFormattedAndValid(t *testing.T) {
	t.Parallel()
	for _, dir := range exampleDirs(t) {
		name, _ := filepath.Rel(examplesDir, dir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t)
			text := copyExample(w, dir)
			if r := w.terraform("fmt", "-check", "-diff", "-no-color"); r.err != nil {
				t.Fatalf("examples/%s is not formatted (terraform fmt):\n%s", name, r)
			}
			// Snippets written for the docs leave out required_providers;
			// without it Terraform would look for hashicorp/compshare.
			if !strings.Contains(text, "required_providers") {
				w.write("required_providers.tf", tfcli.RequiredProviders)
			}
			w.mustTerraform("validate", "-no-color")
		})
	}
}

func TestDemoExampleAppliesAgainstEmulator(t *testing.T) {
	t.Parallel()
	const buildingID, readyID = "compshareImage-demo-building", "compshareImage-demo-ready"
	w := newWorkspace(t)
	keys := newKeyPair(t)
	// The builds stand still until apply starts creating: both plans, however
	// slow, must see the first one building.
	clock := &pausedClock{at: time.Now()}
	srv := startEmulator(t, keys, emulator.Config{
		Now: clock.Now,
		Images: []emulator.Image{
			{ID: buildingID, Start: clock.at.Add(-2 * time.Second), Total: 6 * time.Second},
			{ID: readyID, Start: clock.at.Add(-10 * time.Minute), Total: 5 * time.Minute},
		},
		// The instance that the demo builds an image of.
		Instances: []emulator.Instance{{ID: "uhost-demo-gpu", Name: "gpu-dev", GpuType: "4090", GPU: 1}},
		NewBuild:  emulator.Image{Total: 3 * time.Second, Shape: emulator.ShapeChunks, AvailableAfter: time.Second},
	})
	w.setEnv(apiEnv(srv, keys)...)
	copyExample(w, filepath.Join(examplesDir, "demo"))

	if r := w.mustTerraform("plan", "-no-color", "-input=false"); !strings.Contains(flat(r.stdout), "Image "+buildingID+" was still being built at plan time") {
		t.Errorf("the demo's plan does not warn about the image being built:\n%s", r)
	}
	w.mustTerraformTee(clock.resumeOn(": Creating..."), "apply", "-no-color", "-input=false", "-auto-approve")
	done, _ := srv.CompletedAt(buildingID)
	done = clock.wallClock(done)

	var outputs struct {
		ProgressAtPlan struct {
			Value map[string]struct {
				Progress          float64  `json:"progress"`
				RemainingDuration *float64 `json:"remaining_duration"`
				Completed         bool     `json:"completed"`
			}
		} `json:"progress_at_plan"`
		GPUInstance struct {
			Value struct {
				ImageID      string `json:"image_id"`
				ImageReadyAt string `json:"image_ready_at"`
			}
		} `json:"gpu_instance"`
		Wait struct {
			Value struct {
				Progress    float64 `json:"progress"`
				Completed   bool    `json:"completed"`
				CompletedAt string  `json:"completed_at"`
			}
		} `json:"wait"`
		NewImage struct {
			Value struct {
				ImageID string `json:"image_id"`
				Status  string `json:"status"`
			}
		} `json:"new_image"`
		Images struct {
			Value map[string]string
		} `json:"images"`
		NewInstance struct {
			Value struct {
				ID    string `json:"id"`
				State string `json:"state"`
			}
		} `json:"new_instance"`
	}
	r := w.mustTerraform("output", "-no-color", "-json")
	if err := json.Unmarshal([]byte(r.stdout), &outputs); err != nil {
		t.Fatalf("terraform output -json: %v\n%s", err, r)
	}

	// Apply's own plan read the data sources before the wait.
	atPlan := outputs.ProgressAtPlan.Value
	if b, ok := atPlan[buildingID]; !ok || b.Completed || b.Progress >= 100 || b.RemainingDuration == nil || *b.RemainingDuration <= 0 {
		t.Errorf("progress_at_plan[%s] = %+v (present %v), want a build in progress", buildingID, b, ok)
	}
	if ready, ok := atPlan[readyID]; !ok || !ready.Completed || ready.Progress != 100 {
		t.Errorf("progress_at_plan[%s] = %+v (present %v), want complete", readyID, ready, ok)
	}
	wait := outputs.Wait.Value
	if wait.Progress != 100 || !wait.Completed {
		t.Errorf("wait = %+v, want progress 100 and completed", wait)
	}
	if at, err := time.Parse(time.RFC3339, wait.CompletedAt); err != nil || at.Before(done.Truncate(time.Second)) {
		t.Errorf("wait.completed_at = %q (%v), want no earlier than the build's end %s", wait.CompletedAt, err, done.Format(time.RFC3339))
	}
	gpu := outputs.GPUInstance.Value
	if gpu.ImageID != buildingID || gpu.ImageReadyAt != wait.CompletedAt {
		t.Errorf("gpu_instance = %+v, want image %s ready at %s", gpu, buildingID, wait.CompletedAt)
	}

	// The image built from the instance was usable when its dependent was created.
	built := outputs.NewImage.Value
	if usable, ok := srv.UsableAt(built.ImageID); !ok || built.Status != "Available" || clock.Now().Before(usable) {
		t.Errorf("new_image = %+v, want an Available image (usable at %s, known %v)", built, usable, ok)
	}
	if got := outputs.Images.Value["demo-env"]; got != built.ImageID+" (Available)" {
		t.Errorf("images[demo-env] = %q, want %s (Available)", got, built.ImageID)
	}
	// The instance started from it was created once the image was usable.
	usable, _ := srv.UsableAt(built.ImageID)
	var started []emulator.Request
	for _, r := range srv.Requests() {
		if r.Action == "CreateCompShareInstance" && r.RetCode == 0 {
			started = append(started, r)
		}
	}
	if inst := outputs.NewInstance.Value; inst.State != "Running" || len(started) != 1 || started[0].Time.Before(usable) {
		t.Errorf("new_instance = %+v, %d creates (first at %v), want one Running instance created once the image was usable at %v",
			inst, len(started), started, usable)
	}
}

// devTFRCPlaceholder is the provider directory that examples/local-build/dev.tfrc
// tells the reader to replace (the README's "Using a local build").
const devTFRCPlaceholder = "/home/you/terraform-provider-compshare/bin"

// TestLocalBuildExample follows the README's "Using a local build": the
// example CLI configuration, its placeholder replaced by the built provider's
// directory, makes examples/provider plan without terraform init.
func TestLocalBuildExample(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t)
	data, err := os.ReadFile(filepath.Join(examplesDir, "local-build", "dev.tfrc"))
	if err != nil {
		t.Fatal(err)
	}
	tfrc := string(data)
	if n := strings.Count(tfrc, devTFRCPlaceholder); n != 1 {
		t.Fatalf("examples/local-build/dev.tfrc holds the placeholder %q %d times, want once (keep it, the README and this test in step)", devTFRCPlaceholder, n)
	}
	binDir := filepath.Dir(cli.Provider)
	configFile := filepath.Join(t.TempDir(), "dev.tfrc")
	if err := os.WriteFile(configFile, []byte(strings.Replace(tfrc, devTFRCPlaceholder, binDir, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	// Drop the harness's own CLI configuration rather than override it, so
	// that only the example's can make the provider found.
	w.env = slices.DeleteFunc(w.env, func(kv string) bool { return strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=") })
	keys := newKeyPair(t)
	srv := startEmulator(t, keys, emulator.Config{})
	w.setEnv(append(apiEnv(srv, keys), "TF_CLI_CONFIG_FILE="+configFile)...)

	if text := copyExample(w, filepath.Join(examplesDir, "provider")); !strings.Contains(text, `source = "`+tfcli.ProviderSource+`"`) {
		t.Fatalf("examples/provider does not name source = %q:\n%s", tfcli.ProviderSource, text)
	}
	overrides := "The following provider development overrides are set in the CLI configuration: - " + tfcli.ProviderSource + " in " + binDir
	for _, args := range [][]string{{"validate", "-no-color"}, {"plan", "-no-color", "-input=false"}} {
		if r := w.mustTerraform(args...); !strings.Contains(flat(r.stdout+r.stderr), overrides) {
			t.Errorf("terraform %s does not mention the development overrides (%q):\n%s", args[0], overrides, r)
		}
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".terraform")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the workspace has a .terraform directory (%v), want none: a local build needs no terraform init", err)
	}
}
