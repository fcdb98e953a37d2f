package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// TestQueryGeneratesConfigThatAdoptsImages follows the documented workflow:
// terraform query with the example list blocks writes resource and import
// blocks; applied as they are, they adopt the account's images without
// building or changing any, and the next plan has nothing to do.
func TestQueryGeneratesConfigThatAdoptsImages(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t)
	keys := newKeyPair(t)
	long := time.Now().Add(-time.Hour)
	srv := startEmulator(t, keys, emulator.Config{
		Instances: []emulator.Instance{{ID: "uhost-e2e", GpuType: "4090", GPU: 1}},
		Images: []emulator.Image{
			{ID: "compshareImage-e2e-a", Name: "pytorch-env", Description: "CUDA 12", Tags: []string{"cuda"}, Start: long, Region: "cn-wlcb", Zone: "cn-wlcb-01"},
			{ID: "compshareImage-e2e-b", Name: "jupyter", Start: long, Region: "cn-wlcb", Zone: "cn-wlcb-01"},
		},
	})
	w.setEnv(apiEnv(srv, keys)...)
	w.write("main.tf", tfcli.RequiredProviders)
	example, err := os.ReadFile(filepath.Join(examplesDir, "list-resources", "compshare_custom_image", "list-resource.tfquery.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	w.write("images.tfquery.hcl", string(example))

	r := w.mustTerraform("query", "-no-color", "-generate-config-out=images.tf")
	for _, want := range []string{
		"list.compshare_custom_image.all image_id=compshareImage-e2e-a,region=cn-wlcb,zone=cn-wlcb-01 pytorch-env (Available)",
		"list.compshare_custom_image.all image_id=compshareImage-e2e-b,region=cn-wlcb,zone=cn-wlcb-01 jupyter (Available)",
	} {
		if !strings.Contains(flat(r.stdout), want) {
			t.Errorf("terraform query does not list %q:\n%s", want, r)
		}
	}
	data, err := os.ReadFile(filepath.Join(w.dir, "images.tf"))
	if err != nil {
		t.Fatalf("no generated configuration: %v\n%s", err, r)
	}
	generated := string(data)
	for _, want := range []string{
		`resource "compshare_custom_image" "all_0"`, `name = "pytorch-env"`, `description = "CUDA 12"`, `tags = ["cuda"]`,
		`to = compshare_custom_image.all_0`, `image_id = "compshareImage-e2e-a"`, `region = "cn-wlcb"`, `zone = "cn-wlcb-01"`,
		`resource "compshare_custom_image" "all_1"`, `image_id = "compshareImage-e2e-b"`,
	} {
		if !strings.Contains(flat(generated), want) {
			t.Errorf("generated configuration lacks %q:\n%s", want, generated)
		}
	}
	// The image list does not say which instance an image came from: the
	// generated blocks leave uhost_id null, which an adopted image allows.
	if n := len(regexp.MustCompile(`uhost_id\s*=\s*null`).FindAllString(generated, -1)); n != 2 {
		t.Fatalf("generated configuration has %d null uhost_id, want 2:\n%s", n, generated)
	}

	r = w.mustTerraform("apply", "-no-color", "-input=false", "-auto-approve")
	if !strings.Contains(r.stdout, "2 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("apply of the generated configuration did not import both images and nothing else:\n%s", r)
	}
	if n := len(srv.Images()); n != 2 {
		t.Errorf("%d images on the platform, want the 2 adopted and none built", n)
	}
	state := w.stateResources()
	if a := state["compshare_custom_image.all_0"]; a["id"] != "compshareImage-e2e-a" || a["uhost_id"] != nil || a["status"] != "Available" {
		t.Errorf("state of all_0: %v", a)
	}
	if r := w.terraform("plan", "-no-color", "-input=false", "-detailed-exitcode"); r.err != nil {
		t.Errorf("the plan after adoption is not empty:\n%s", r)
	}
}
