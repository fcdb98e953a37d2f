package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// oneImageConfig reads one image chosen by arguments, as HCL.
func oneImageConfig(url, arguments string) string {
	return providerConfig(url) + tfcli.HCL(`
data "compshare_custom_image" "one" {
  {{.}}
}
`, arguments)
}

func expectOneImage(attribute string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.compshare_custom_image.one", tfjsonpath.New(attribute), check)
}

// releasedImages are builds of one image, a day apart: release-1 is the oldest.
func releasedImages(n int) []emulator.Image {
	var images []emulator.Image
	for i := n; i >= 1; i-- {
		images = append(images, seededImage(emulator.Image{
			ID: fmt.Sprintf("compshareImage-r%d", i), Name: fmt.Sprintf("release-%d", i), Start: seededAt.Add(time.Duration(i) * 24 * time.Hour),
		}))
	}
	return images
}

func TestAccCustomImageDataSource_byID(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: append(releasedImages(2),
		seededImage(emulator.Image{ID: "compshareImage-pod", Name: "pod", Description: "container base", Tags: []string{"pod"}, SizeMB: 512,
			Container: true, SourceGpuType: "A100", Start: seededAt}),
		halfBuiltImage("compshareImage-half", "building"),
		emulator.Image{ID: "compshareImage-sh2", Name: "elsewhere", Region: "cn-sh2", Zone: "cn-sh2-02", Start: seededAt},
	)})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: oneImageConfig(srv.URL(), `id = "compshareImage-pod"`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectOneImage("id", knownvalue.StringExact("compshareImage-pod")),
					expectOneImage("region", knownvalue.StringExact("cn-wlcb")),
					expectOneImage("zone", knownvalue.StringExact("cn-wlcb-01")),
					expectOneImage("name", knownvalue.StringExact("pod")),
					expectOneImage("description", knownvalue.StringExact("container base")),
					expectOneImage("tags", knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("pod")})),
					expectOneImage("status", knownvalue.StringExact("Available")),
					expectOneImage("failed_reason", knownvalue.StringExact("")),
					expectOneImage("size_mb", knownvalue.Int64Exact(512)),
					expectOneImage("created_at", knownvalue.StringExact("2025-01-01T00:00:00Z")),
					expectOneImage("container", knownvalue.Bool(true)),
					expectOneImage("source_gpu_type", knownvalue.StringExact("A100")),
					expectOneImage("progress", knownvalue.Float64Exact(100)),
					expectOneImage("name_regex", knownvalue.Null()),
					expectOneImage("most_recent", knownvalue.Null()),
				},
			},
			{
				Config: oneImageConfig(srv.URL(), `id = "compshareImage-half"`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectOneImage("status", knownvalue.StringExact("Making")),
					expectOneImage("progress", between(49.9, 50.1)),
				},
			},
			{
				Config: oneImageConfig(srv.URL(), `
  id     = "compshareImage-sh2"
  region = "cn-sh2"
  zone   = "cn-sh2-02"`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectOneImage("name", knownvalue.StringExact("elsewhere")),
					expectOneImage("zone", knownvalue.StringExact("cn-sh2-02")),
				},
			},
			{
				// The image is in another region.
				Config:      oneImageConfig(srv.URL(), `id = "compshareImage-sh2"`),
				ExpectError: errorMatching(`No Compshare custom image found.*Region "cn-wlcb", zone "cn-wlcb-01" has no custom image with id "compshareImage-sh2"`),
			},
			{
				Config:      oneImageConfig(srv.URL(), `id = "compshareImage-nosuch"`),
				ExpectError: errorMatching(`No Compshare custom image found.*DescribeCompShareCustomImages.*compshareImage-nosuch.*request id .*has no custom image with id "compshareImage-nosuch". Check id, region and zone.`),
			},
		},
	})
}

func TestAccCustomImageDataSource_byName(t *testing.T) {
	images := append(releasedImages(7), seededImage(emulator.Image{ID: "compshareImage-tools", Name: "tools", Start: seededAt}))
	srv := startEmulator(t, emulator.Config{Images: images})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				// One match needs no most_recent.
				Config: oneImageConfig(srv.URL(), `name_regex = "^tool"`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectOneImage("id", knownvalue.StringExact("compshareImage-tools")),
					expectOneImage("name", knownvalue.StringExact("tools")),
					expectOneImage("progress", knownvalue.Float64Exact(100)),
				},
			},
			{
				Config: oneImageConfig(srv.URL(), `
  name_regex  = "^release-"
  most_recent = true`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectOneImage("id", knownvalue.StringExact("compshareImage-r7")),
					expectOneImage("name", knownvalue.StringExact("release-7")),
					expectOneImage("created_at", knownvalue.StringExact("2025-01-08T00:00:00Z")),
				},
			},
			{
				Config: oneImageConfig(srv.URL(), `
  name_regex  = "^release-[1-3]$"
  most_recent = true`),
				ConfigStateChecks: []statecheck.StateCheck{expectOneImage("id", knownvalue.StringExact("compshareImage-r3"))},
			},
			{
				// Newest first, the five newest named, the rest counted.
				Config: oneImageConfig(srv.URL(), `name_regex = "release"`),
				ExpectError: errorMatching(`Several Compshare custom images match.*7 custom images in region "cn-wlcb", zone "cn-wlcb-01" have a name matching ` +
					`name_regex "release", newest first: "release-7" \(compshareImage-r7\), "release-6" \(compshareImage-r6\), "release-5" \(compshareImage-r5\), ` +
					`"release-4" \(compshareImage-r4\), "release-3" \(compshareImage-r3\), and 2 more. Set most_recent = true to take the one created last, or narrow name_regex.`),
			},
			{
				Config:      oneImageConfig(srv.URL(), `name_regex = "^release-[12]$"`),
				ExpectError: errorMatching(`2 custom images.*newest first: "release-2" \(compshareImage-r2\), "release-1" \(compshareImage-r1\). Set most_recent`),
			},
			{
				Config: oneImageConfig(srv.URL(), `
  name_regex  = "^nightly-"
  most_recent = true`),
				ExpectError: errorMatching(`No Compshare custom image found.*None of the 8 custom images in region "cn-wlcb", zone "cn-wlcb-01" has a name matching name_regex "\^nightly-". Check name_regex, region and zone.`),
			},
		},
	})
}

func TestAccCustomImageDataSource_mostRecentAcrossPages(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: releasedImages(130)})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: oneImageConfig(srv.URL(), `
  name_regex  = "^release-"
  most_recent = true`),
			// releasedImages lists the newest first: the oldest are on the second page.
			ConfigStateChecks: []statecheck.StateCheck{expectOneImage("id", knownvalue.StringExact("compshareImage-r130"))},
		}, {
			Config:            oneImageConfig(srv.URL(), `name_regex = "^release-1$"`),
			ConfigStateChecks: []statecheck.StateCheck{expectOneImage("id", knownvalue.StringExact("compshareImage-r1"))},
		}},
	})
}

func TestAccCustomImageDataSource_invalidInput(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	for _, tc := range []struct{ name, arguments, want string }{
		{"invalid name_regex", `name_regex = "release-[0-9"`, `Invalid regular expression.*name_regex value must be a regular expression in Go \(RE2\) syntax, got: "release-\[0-9" \(error parsing regexp: missing closing \]`},
		{"id and name_regex", "id = \"compshareImage-a\"\n  name_regex = \"a\"", `Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[id,name_regex\]`},
		{"neither id nor name_regex", `most_recent = true`, `Exactly one of these attributes must be configured: \[id,name_regex\]`},
		{"most_recent with id", "id = \"compshareImage-a\"\n  most_recent = true", `Attribute "name_regex" must be specified when "most_recent" is specified`},
		{"id with whitespace", `id = "compshareImage-a b"`, `id must be an image id such as compshareImage-xxxx, without whitespace`},
		{"zone not in region", "id = \"compshareImage-a\"\n  zone = \"cn-sh2-02\"\n  region = \"cn-wlcb\"", `Zone not in region`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps:                    []resource.TestStep{{Config: oneImageConfig(srv.URL(), tc.arguments), PlanOnly: true, ExpectError: errorMatching(tc.want)}},
			})
		})
	}
	t.Cleanup(func() {
		if n := srv.RequestCount(); n != 0 {
			t.Errorf("invalid input reached the API: %d requests", n)
		}
	})
}

func TestPickByName(t *testing.T) {
	var images []compshare.Image
	for i := 1; i <= 7; i++ {
		images = append(images, compshare.Image{ID: fmt.Sprintf("compshareImage-%d", i), Name: fmt.Sprintf("v%d", i), CreatedAt: seededAt.Add(time.Duration(i) * time.Hour)})
	}
	// Same time as v7: the greater id is taken as the later.
	images = append(images, compshare.Image{ID: "compshareImage-0", Name: "v0", CreatedAt: seededAt.Add(7 * time.Hour)})
	for _, tc := range []struct {
		pattern    string
		mostRecent bool
		want       string // the id, or text of the error
	}{
		{"^v3$", false, "compshareImage-3"},
		{"^v[0-7]$", true, "compshareImage-7"},
		{"^v[1-3]$", true, "compshareImage-3"},
		{"^v[12]$", false, `2 custom images in region "r", zone "z" have a name matching name_regex "^v[12]$", newest first: "v2" (compshareImage-2), "v1" (compshareImage-1). Set most_recent`},
		{"^v", false, `newest first: "v7" (compshareImage-7), "v0" (compshareImage-0), "v6" (compshareImage-6), "v5" (compshareImage-5), "v4" (compshareImage-4), and 3 more.`},
		{"^w", true, `None of the 8 custom images in region "r", zone "z" has a name matching name_regex "^w".`},
	} {
		img, problem := pickByName(images, regexp.MustCompile(tc.pattern), tc.mostRecent, "r", "z")
		got := img.ID
		if problem != nil {
			got = problem.Detail()
			if withPath, ok := problem.(diag.DiagnosticWithPath); !ok || !withPath.Path().Equal(path.Root("name_regex")) {
				t.Errorf("%q: the error is not on name_regex: %v", tc.pattern, problem)
			}
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%q, most_recent %v: got %s, want %s", tc.pattern, tc.mostRecent, got, tc.want)
		}
	}
}
