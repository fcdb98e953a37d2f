package e2e

import (
	"encoding/base64"
	"fmt"
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

// leaks names the texts that contain secret, in order.
func leaks(secret string, texts map[string]string) []string {
	var found []string
	for name, text := range texts {
		if strings.Contains(text, secret) {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	return found
}

// TestLeaksFindsPlantedSecret makes sure the scan below can fail.
func TestLeaksFindsPlantedSecret(t *testing.T) {
	const secret = "e2e-private-0123456789abcdef"
	texts := map[string]string{
		"clean":   "2026-01-01T00:00:00Z [TRACE] provider: private_key=(sensitive value)",
		"planted": "2026-01-01T00:00:00Z [TRACE] provider: private_key=" + secret + " rest of the line",
	}
	if got := leaks(secret, texts); !slices.Equal(got, []string{"planted"}) {
		t.Fatalf("leaks = %v, want [planted]", got)
	}
}

// traces is everything a workspace's commands printed or left on disk,
// except the configuration, which holds the key when it is an attribute.
func (w *workspace) traces(results []result) map[string]string {
	w.t.Helper()
	texts := map[string]string{}
	for i, r := range results {
		texts[fmt.Sprintf("stdout of #%d terraform %s", i+1, r.args[0])] = r.stdout
		texts[fmt.Sprintf("stderr of #%d terraform %s", i+1, r.args[0])] = r.stderr
	}
	err := filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".tf") {
			return err
		}
		data, err := os.ReadFile(path)
		texts[path] = string(data)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return texts
}

// secretsWorkspace logs everything to terraform.log and gives the provider
// its keys through the attribute or the environment.
func secretsWorkspace(t *testing.T, srv *emulator.Server, keys keyPair, viaAttribute bool, imageID string) *workspace {
	w := newWorkspace(t)
	w.setEnv("TF_LOG=TRACE", "TF_LOG_PATH="+filepath.Join(w.dir, "terraform.log"))
	provider := `provider "compshare" {}`
	if viaAttribute {
		provider = tfcli.HCL(`provider "compshare" {
  base_url    = {{hcl .BaseURL}}
  public_key  = {{hcl .PublicKey}}
  private_key = {{hcl .PrivateKey}}
}`, map[string]string{"BaseURL": srv.URL(), "PublicKey": keys.public, "PrivateKey": keys.private})
	} else {
		w.setEnv(apiEnv(srv, keys)...)
	}
	w.write("main.tf", tfcli.RequiredProviders+provider+tfcli.HCL(`

data "compshare_image_progress" "gpu" {
  image_id = {{hcl .}}
}

resource "compshare_image_wait" "gpu" {
  image_id = data.compshare_image_progress.gpu.image_id
}
`, imageID))
	return w
}

// checkNoLeak fails the test if secret appears in any trace, and makes sure
// the TRACE log, the provider's part included, was written.
func checkNoLeak(t *testing.T, w *workspace, secret string, results []result) {
	t.Helper()
	texts := w.traces(results)
	log := texts[filepath.Join(w.dir, "terraform.log")]
	if !strings.Contains(log, "[TRACE]") || !strings.Contains(log, "provider.terraform-provider-compshare") {
		t.Fatalf("terraform.log lacks the TRACE log of Terraform and the provider (%d bytes)", len(log))
	}
	if found := leaks(secret, texts); len(found) > 0 {
		t.Errorf("the private key %q appears in: %s", secret, strings.Join(found, ", "))
	}
}

func TestPrivateKeyNeverShown(t *testing.T) {
	t.Parallel()
	const imageID = "compshareImage-e2e-secret"
	for _, source := range []struct {
		name         string
		viaAttribute bool
	}{{"attribute", true}, {"environment", false}} {
		t.Run(source.name+"/accepted", func(t *testing.T) {
			t.Parallel()
			keys := newKeyPair(t)
			srv := startEmulator(t, keys, emulator.Config{Images: []emulator.Image{building(imageID, time.Second, 3*time.Second)}})
			w := secretsWorkspace(t, srv, keys, source.viaAttribute, imageID)
			results := []result{
				w.mustTerraform("plan", "-no-color", "-input=false"),
				w.mustTerraform("apply", "-no-color", "-input=false", "-auto-approve"),
			}
			if _, ok := w.stateResources()["compshare_image_wait.gpu"]; !ok {
				t.Fatalf("apply recorded no wait:\n%s", results[1])
			}
			checkNoLeak(t, w, keys.private, results)
		})

		t.Run(source.name+"/refused", func(t *testing.T) {
			t.Parallel()
			keys := newKeyPair(t)
			srv := startEmulator(t, keys, emulator.Config{Images: []emulator.Image{building(imageID, time.Second, 3*time.Second)}})
			wrong := keyPair{public: keys.public, private: "e2e-wrong-private-" + randomHex(t)}
			w := secretsWorkspace(t, srv, wrong, source.viaAttribute, imageID)
			r := w.terraform("plan", "-no-color", "-input=false")
			if out := flat(r.stdout + r.stderr); r.err == nil || !strings.Contains(out, "171") {
				t.Fatalf("plan with a wrong private key did not fail with RetCode 171:\n%s", r)
			}
			checkNoLeak(t, w, wrong.private, []result{r})
		})
	}
}

// TestEchoedSecretsRedacted: a server that echoes the private key or the
// request's signature in its error message reaches no output, log or state.
func TestEchoedSecretsRedacted(t *testing.T) {
	t.Parallel()
	const imageID = "compshareImage-e2e-echo"
	for _, fault := range []emulator.Fault{emulator.FaultEchoKey, emulator.FaultEchoSignature} {
		t.Run(string(fault), func(t *testing.T) {
			t.Parallel()
			keys := newKeyPair(t)
			var signatures []string
			srv := startEmulator(t, keys, emulator.Config{
				Images:     []emulator.Image{building(imageID, time.Second, 3*time.Second)},
				FaultEvery: 1, Fault: fault,
			})
			w := secretsWorkspace(t, srv, keys, false, imageID)
			r := w.terraform("plan", "-no-color", "-input=false")
			if out := flat(r.stdout + r.stderr); r.err == nil || !strings.Contains(out, "[redacted]") {
				t.Fatalf("plan against a server echoing secrets did not fail with a redacted message:\n%s", r)
			}
			checkNoLeak(t, w, keys.private, []result{r})
			for _, req := range srv.Requests() {
				signatures = append(signatures, req.Signature)
			}
			texts := w.traces([]result{r})
			for _, signature := range signatures {
				if signature == "" {
					t.Fatal("the emulator logged no signature: the case proves nothing")
				}
				if found := leaks(signature, texts); len(found) > 0 {
					t.Errorf("a request signature appears in: %s", strings.Join(found, ", "))
				}
			}
		})
	}
}

// TestInstancePasswordNeverShown: a GPU instance's password, given through
// an ephemeral variable to the write-only password_wo, reaches no output,
// TRACE log (Terraform's and the provider's), state or plan file, neither
// plain nor base64, at creation nor at a reset; the platform gets it base64.
func TestInstancePasswordNeverShown(t *testing.T) {
	t.Parallel()
	keys := newKeyPair(t)
	srv := startEmulator(t, keys, emulator.Config{
		Images: []emulator.Image{{ID: "compshareImage-e2e-base", Name: "base"}},
		Fleet:  emulator.Fleet{Initialize: time.Second, Transition: time.Second},
	})
	w := newWorkspace(t)
	w.setEnv(apiEnv(srv, keys)...)
	w.setEnv("TF_LOG=TRACE", "TF_LOG_PATH="+filepath.Join(w.dir, "terraform.log"))
	passwords := []string{"e2e-Pass/" + randomHex(t), "e2e-Pass+" + randomHex(t)}
	config := func(version int) string {
		return tfcli.RequiredProviders + tfcli.HCL(`provider "compshare" {}

variable "password" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "compshare_instance" "main" {
  image_id            = "compshareImage-e2e-base"
  name                = "e2e-secret"
  gpu_type            = "4090"
  gpu                 = 1
  cpu                 = 8
  memory_mb           = 32768
  charge_type         = "Dynamic"
  password_wo         = var.password
  password_wo_version = {{hcl .}}
}
`, version)
	}
	var results []result
	for i, password := range passwords {
		w.write("main.tf", config(i+1))
		w.setEnv("TF_VAR_password=" + password)
		results = append(results,
			w.mustTerraform("plan", "-no-color", "-input=false", "-out=tfplan"),
			w.mustTerraform("apply", "-no-color", "-input=false", "tfplan"))
	}
	insts := srv.Instances()
	if len(insts) != 1 || insts[0].Password != base64.StdEncoding.EncodeToString([]byte(passwords[1])) {
		t.Fatalf("the platform holds %+v; want one instance with the second password, base64", insts)
	}
	for _, password := range passwords {
		checkNoLeak(t, w, password, results)
		checkNoLeak(t, w, base64.StdEncoding.EncodeToString([]byte(password)), results)
	}
}
