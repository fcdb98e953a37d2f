package provider

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// seededAt is when the seeded images of the data source tests were created.
var seededAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// seededImage places an image in the provider's default region and zone.
func seededImage(img emulator.Image) emulator.Image {
	img.Region, img.Zone = cmp.Or(img.Region, settings.DefaultRegion), cmp.Or(img.Zone, settings.DefaultZone)
	return img
}

// halfBuiltImage is a build half done, due in 500 hours.
func halfBuiltImage(id, name string) emulator.Image {
	return seededImage(emulator.Image{ID: id, Name: name, Start: time.Now().Add(-500 * time.Hour), Total: 1000 * time.Hour})
}

// imageIDsAre checks the ids of a list of images, in order.
func imageIDsAre(ids ...string) knownvalue.Check {
	checks := []knownvalue.Check{}
	for _, id := range ids {
		checks = append(checks, knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)}))
	}
	return knownvalue.ListExact(checks)
}

// imageListConfig lists images with arguments, as HCL.
func imageListConfig(url, arguments string) string {
	return providerConfig(url) + tfcli.HCL(`
data "compshare_custom_images" "all" {
  {{.}}
}
`, arguments)
}

func expectImageList(check knownvalue.Check) []statecheck.StateCheck {
	return []statecheck.StateCheck{statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images"), check)}
}

func TestAccCustomImagesDataSource_filters(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		seededImage(emulator.Image{ID: "compshareImage-b1", Name: "gpu-base-v1", Description: "CUDA 12 base", Tags: []string{"gpu", "base"},
			SizeMB: 20480, SourceGpuType: "4090", Start: seededAt}),
		seededImage(emulator.Image{ID: "compshareImage-a9", Name: "old-tie", Start: seededAt}), // same time as b1: the id decides
		seededImage(emulator.Image{ID: "compshareImage-b2", Name: "gpu-base-v2", Container: true, Start: seededAt.Add(time.Hour)}),
		seededImage(emulator.Image{ID: "compshareImage-c", Name: "cpu-tools", Status: compshare.StatusFailed, FailedReason: "disk full", Start: seededAt.Add(2 * time.Hour)}),
		seededImage(emulator.Image{ID: "compshareImage-f", Name: "gpu-withdrawn", Status: "Offline", Start: seededAt.Add(3 * time.Hour)}),
		halfBuiltImage("compshareImage-d", "gpu-building"),
		{ID: "compshareImage-e", Name: "gpu-elsewhere", Region: "cn-sh2", Zone: "cn-sh2-02", Start: seededAt},
	}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: imageListConfig(srv.URL(), "") + `
output "count" {
  value = length(data.compshare_custom_images.all.images)
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					// Known in the plan: read at plan time.
					PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownOutputValue("count", knownvalue.Int64Exact(6))},
				},
				ConfigStateChecks: append(expectImageList(imageIDsAre("compshareImage-a9", "compshareImage-b1", "compshareImage-b2", "compshareImage-c", "compshareImage-f", "compshareImage-d")),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("region"), knownvalue.StringExact(settings.DefaultRegion)),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("zone"), knownvalue.StringExact(settings.DefaultZone)),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(1), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":              knownvalue.StringExact("compshareImage-b1"),
						"name":            knownvalue.StringExact("gpu-base-v1"),
						"description":     knownvalue.StringExact("CUDA 12 base"),
						"tags":            knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("base"), knownvalue.StringExact("gpu")}),
						"status":          knownvalue.StringExact("Available"),
						"failed_reason":   knownvalue.StringExact(""),
						"size_mb":         knownvalue.Int64Exact(20480),
						"created_at":      knownvalue.StringExact("2025-01-01T00:00:00Z"),
						"container":       knownvalue.Bool(false),
						"source_gpu_type": knownvalue.StringExact("4090"),
						"progress":        knownvalue.Float64Exact(100),
					})),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(0).AtMapKey("tags"), knownvalue.SetExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(2).AtMapKey("container"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(3), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"status": knownvalue.StringExact("UnAvailable"), "failed_reason": knownvalue.StringExact("disk full"), "progress": knownvalue.Null(),
					})),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(4), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"status": knownvalue.StringExact("Offline"), "progress": knownvalue.Null(),
					})),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(5), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"status": knownvalue.StringExact("Making"), "progress": between(49.9, 50.1),
					})),
				),
			},
			{
				Config:            imageListConfig(srv.URL(), `name_regex = "^gpu-base"`),
				ConfigStateChecks: expectImageList(imageIDsAre("compshareImage-b1", "compshareImage-b2")),
			},
			{
				// Status words compare without regard to case.
				Config:            imageListConfig(srv.URL(), `status = "available"`),
				ConfigStateChecks: expectImageList(imageIDsAre("compshareImage-a9", "compshareImage-b1", "compshareImage-b2")),
			},
			{
				Config:            imageListConfig(srv.URL(), `ids = ["compshareImage-d", "compshareImage-c", "compshareImage-nosuch", "compshareImage-e"]`),
				ConfigStateChecks: expectImageList(imageIDsAre("compshareImage-c", "compshareImage-d")),
			},
			{
				Config:            imageListConfig(srv.URL(), `ids = []`),
				ConfigStateChecks: expectImageList(knownvalue.ListExact([]knownvalue.Check{})),
			},
			{
				// Every filter applies.
				Config: imageListConfig(srv.URL(), `
  name_regex = "gpu"
  status     = "Making"
  ids        = ["compshareImage-b1", "compshareImage-c", "compshareImage-d"]`),
				ConfigStateChecks: expectImageList(imageIDsAre("compshareImage-d")),
			},
			{
				Config: imageListConfig(srv.URL(), `
  name_regex = "^nothing"`),
				ConfigStateChecks: expectImageList(knownvalue.ListExact([]knownvalue.Check{})),
			},
			{
				Config: imageListConfig(srv.URL(), `
  region = "cn-sh2"
  zone   = "cn-sh2-02"`),
				ConfigStateChecks: expectImageList(imageIDsAre("compshareImage-e")),
			},
		},
	})
}

func TestAccCustomImagesDataSource_pagesThroughMoreThanAHundred(t *testing.T) {
	var images []emulator.Image
	for i := range 130 {
		images = append(images, seededImage(emulator.Image{ID: fmt.Sprintf("compshareImage-bulk%03d", i), Name: fmt.Sprintf("bulk-%03d", i), Start: seededAt.Add(time.Duration(i) * time.Minute)}))
	}
	// The API lists in its own order, not by creation.
	slices.Reverse(images)
	srv := startEmulator(t, emulator.Config{Images: images})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: imageListConfig(srv.URL(), ""),
				ConfigStateChecks: append(expectImageList(knownvalue.ListSizeExact(130)),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(0).AtMapKey("id"), knownvalue.StringExact("compshareImage-bulk000")),
					statecheck.ExpectKnownValue("data.compshare_custom_images.all", tfjsonpath.New("images").AtSliceIndex(129).AtMapKey("id"), knownvalue.StringExact("compshareImage-bulk129")),
				),
			},
			{
				// The matches lie on both pages.
				Config:            imageListConfig(srv.URL(), `name_regex = "^bulk-(0[0-4]|12)"`),
				ConfigStateChecks: expectImageList(knownvalue.ListSizeExact(60)),
			},
		},
	})
	for _, r := range srv.Requests() {
		if r.Action == compshare.ActionImageProgress {
			t.Errorf("progress read of %s, which is Available", r.ImageID)
		}
	}
}

func TestAccCustomImagesDataSource_progressOfBuilds(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		halfBuiltImage("compshareImage-m1", "making-1"),
		halfBuiltImage("compshareImage-m2", "making-2"),
		seededImage(emulator.Image{ID: "compshareImage-done", Name: "done", Start: seededAt}),
		seededImage(emulator.Image{ID: "compshareImage-review", Name: "review", Status: "Reviewing", Start: seededAt}),
	}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: imageListConfig(srv.URL(), ""),
			ConfigStateChecks: expectImageList(knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact("compshareImage-done"), "progress": knownvalue.Float64Exact(100)}),
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact("compshareImage-review"), "progress": knownvalue.Null()}),
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact("compshareImage-m1"), "progress": between(49.9, 50.1)}),
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact("compshareImage-m2"), "progress": between(49.9, 50.1)}),
			})),
		}},
	})
	// One progress read per image being made, per read of the data source.
	lists, reads := 0, map[string]int{}
	for _, r := range srv.Requests() {
		switch r.Action {
		case compshare.ActionDescribeImages:
			lists++
		case compshare.ActionImageProgress:
			reads[r.ImageID]++
		}
	}
	if want := map[string]int{"compshareImage-m1": lists, "compshareImage-m2": lists}; lists == 0 || fmt.Sprint(reads) != fmt.Sprint(want) {
		t.Errorf("%d lists and progress reads %v, want %v", lists, reads, want)
	}
}

// A progress read the API refuses leaves that image's progress null; the
// list is still read.
func TestAccCustomImagesDataSource_progressRefused(t *testing.T) {
	// Each read lists one page, then reads the one build's progress: every
	// second request, the progress read, is refused with RetCode 8433, which
	// is not retried with max_retries = 0.
	srv := startEmulator(t, emulator.Config{
		FaultEvery: 2, Fault: emulator.FaultRetCode8433,
		Images: []emulator.Image{
			halfBuiltImage("compshareImage-m1", "making-1"),
			seededImage(emulator.Image{ID: "compshareImage-done", Name: "done", Start: seededAt}),
		},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(srv.URL(), "max_retries = 0") + `
data "compshare_custom_images" "all" {}
`,
			ConfigStateChecks: expectImageList(knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact("compshareImage-done"), "progress": knownvalue.Float64Exact(100)}),
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact("compshareImage-m1"), "status": knownvalue.StringExact("Making"), "progress": knownvalue.Null()}),
			})),
		}},
	})
	for _, r := range srv.Requests() {
		if faulted(r) && r.Action != compshare.ActionImageProgress {
			t.Errorf("the fault hit %s, not the progress read: the test proves nothing", r.Action)
		}
	}
	if countRequests(srv, faulted) == 0 {
		t.Fatal("no fault was injected: the test proves nothing")
	}
}

func TestAccCustomImagesDataSource_apiErrors(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock{BaseURL: srv.URL(), PublicKey: testPublicKey, PrivateKey: "not-the-key"}.config() + `
data "compshare_custom_images" "all" {}
`,
			ExpectError: errorMatching(`refused the credentials.*DescribeCompShareCustomImages.*RetCode 171.*request id [0-9a-f-]{8,}`),
		}},
	})
}

func TestAccCustomImagesDataSource_invalidInput(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	for _, tc := range []struct{ name, arguments, want string }{
		{"invalid name_regex", `name_regex = "gpu-("`, `Invalid regular expression.*name_regex value must be a regular expression in Go \(RE2\) syntax, got: "gpu-\(" \(error parsing regexp: missing closing \)`},
		{"unknown status", `status = "Ready"`, `status value must be one of.*"Making".*"Available".*got: "Ready"`},
		{"id with whitespace", `ids = ["compshareImage-a b"]`, `ids.*without whitespace`},
		{"zone not in region", "region = \"cn-sh2\"\n  zone = \"cn-wlcb-01\"", `Zone not in region.*"cn-wlcb-01" is not in the region "cn-sh2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps:                    []resource.TestStep{{Config: imageListConfig(srv.URL(), tc.arguments), PlanOnly: true, ExpectError: errorMatching(tc.want)}},
			})
		})
	}
	t.Cleanup(func() {
		if n := srv.RequestCount(); n != 0 {
			t.Errorf("invalid input reached the API: %d requests", n)
		}
	})
}

func TestImageFilter(t *testing.T) {
	at := func(h int) time.Time { return seededAt.Add(time.Duration(h) * time.Hour) }
	images := []compshare.Image{
		{ID: "compshareImage-3", Name: "gpu-b", Status: "Making", CreatedAt: at(2)},
		{ID: "compshareImage-2", Name: "gpu-a", Status: "Available", CreatedAt: at(1)},
		{ID: "compshareImage-1", Name: "cpu", Status: "available", CreatedAt: at(1)},
		{ID: "compshareImage-0", Name: "gpu-old", Status: "UnAvailable"}, // no CreateTime: first
	}
	ids := func(imgs []compshare.Image) string {
		var out []string
		for _, img := range imgs {
			out = append(out, img.ID)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name   string
		filter imageFilter
		want   string
	}{
		{"none", imageFilter{}, "compshareImage-0 compshareImage-1 compshareImage-2 compshareImage-3"},
		{"name", imageFilter{nameRegex: regexp.MustCompile(`^gpu-[ab]$`)}, "compshareImage-2 compshareImage-3"},
		{"status in any case", imageFilter{status: "AVAILABLE"}, "compshareImage-1 compshareImage-2"},
		{"ids in any case", imageFilter{ids: idSet([]string{"COMPSHAREIMAGE-3", "compshareImage-0", "compshareImage-9"})}, "compshareImage-0 compshareImage-3"},
		{"no ids", imageFilter{ids: idSet(nil)}, ""},
		{"all", imageFilter{nameRegex: regexp.MustCompile(`gpu`), status: "available", ids: idSet([]string{"compshareImage-1", "compshareImage-2"})}, "compshareImage-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ids(images)
			if got := ids(tc.filter.apply(images)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if ids(images) != before {
				t.Errorf("apply reordered its input")
			}
		})
	}
}

// fakeProgressReader answers progress reads from a map of image id to answer.
type fakeProgressReader struct {
	answers map[string]error // nil error: 42 %
	asked   []string
}

func (f *fakeProgressReader) ImageProgress(_ context.Context, _, _, imageID string) (compshare.Progress, error) {
	f.asked = append(f.asked, imageID)
	if err := f.answers[imageID]; err != nil {
		return compshare.Progress{}, err
	}
	return compshare.Progress{Percent: 42}, nil
}

func TestNewListedImageModelProgress(t *testing.T) {
	refused := &compshare.Error{Action: compshare.ActionImageProgress, ImageID: "compshareImage-pod", RetCode: 8433, Message: "not supported"}
	unreachable := &compshare.Error{Action: compshare.ActionImageProgress, ImageID: "compshareImage-net", Message: "connection reset", Transient: true}
	for _, tc := range []struct {
		name, id, status string
		want             types.Float64
		asked            bool
		wantErr          string
	}{
		{"available", "compshareImage-ok", "available", types.Float64Value(100), false, ""},
		{"making", "compshareImage-vm", "Making", types.Float64Value(42), true, ""},
		{"making, refused", "compshareImage-pod", "MAKING", types.Float64Null(), true, ""},
		{"making, not answered", "compshareImage-net", "Making", types.Float64Null(), true, "connection reset"},
		{"failed", "compshareImage-bad", "UnAvailable", types.Float64Null(), false, ""},
		{"offline", "compshareImage-off", "Offline", types.Float64Null(), false, ""},
		{"reviewing", "compshareImage-rev", "Reviewing", types.Float64Null(), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			progress := &fakeProgressReader{answers: map[string]error{"compshareImage-pod": refused, "compshareImage-net": unreachable}}
			m, diags := newListedImageModel(t.Context(), progress, "cn-wlcb", "cn-wlcb-01", compshare.Image{ID: tc.id, Name: "n", Status: tc.status})
			if got := fmt.Sprint(diags); tc.wantErr == "" && diags.HasError() || tc.wantErr != "" && !strings.Contains(got, tc.wantErr) {
				t.Fatalf("diagnostics %s, want an error with %q", got, tc.wantErr)
			}
			if !m.Progress.Equal(tc.want) {
				t.Errorf("progress %s, want %s", m.Progress, tc.want)
			}
			if asked := slices.Equal(progress.asked, []string{tc.id}); asked != tc.asked {
				t.Errorf("progress read %v, want one read: %v", progress.asked, tc.asked)
			}
			if m.ID.ValueString() != tc.id || m.Status.ValueString() != tc.status {
				t.Errorf("id %s status %s, want %s %s", m.ID, m.Status, tc.id, tc.status)
			}
		})
	}
}

func TestRegexValidator(t *testing.T) {
	for value, valid := range map[string]bool{`^gpu-\d+$`: true, ``: true, `gpu-(`: false, `(?<name>x)`: true, `a{2,1}`: false, `\C`: false} {
		resp := &validator.StringResponse{}
		regexValidator{}.ValidateString(t.Context(), validator.StringRequest{ConfigValue: types.StringValue(value)}, resp)
		if resp.Diagnostics.HasError() == valid {
			t.Errorf("%q: diagnostics %v, want valid %v", value, resp.Diagnostics, valid)
		}
	}
	for _, v := range []types.String{types.StringNull(), types.StringUnknown()} {
		resp := &validator.StringResponse{}
		regexValidator{}.ValidateString(t.Context(), validator.StringRequest{ConfigValue: v}, resp)
		if resp.Diagnostics.HasError() {
			t.Errorf("%s refused: %v", v, resp.Diagnostics)
		}
	}
}
