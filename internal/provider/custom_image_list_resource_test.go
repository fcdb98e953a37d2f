package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// querySupported skips CLIs without terraform query (Terraform 1.14;
// OpenTofu has none).
var querySupported = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

func byImage(id string) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
		"region": knownvalue.StringExact(settings.DefaultRegion), "zone": knownvalue.StringExact(settings.DefaultZone),
		"image_id": knownvalue.StringExact(id),
	})
}

func TestAccCustomImageList_query(t *testing.T) {
	const ready, building, failed = "compshareImage-ready", "compshareImage-building", "compshareImage-failed"
	long, region, zone := time.Now().Add(-time.Hour), settings.DefaultRegion, settings.DefaultZone
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: ready, Name: "env-ready", Description: "CUDA 12", Tags: []string{"cuda"}, SizeMB: 2048, Start: long, Total: time.Minute, SourceGpuType: "4090", Region: region, Zone: zone},
		{ID: building, Name: "env-building", Start: time.Now().Add(-3 * time.Hour), Total: 10 * time.Hour, Region: region, Zone: zone},
		{ID: failed, Name: "broken", Start: long, Total: time.Minute, FailAtPercent: 50, FailedReason: "disk full", Region: region, Zone: zone},
		{ID: "compshareImage-sh2", Name: "env-sh2", Region: "cn-sh2", Zone: "cn-sh2-02", Start: long},
	}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   querySupported,
		Steps: []resource.TestStep{
			{Config: providerConfig(srv.URL())},
			{
				Query: true,
				Config: `
list "compshare_custom_image" "all" {
  provider = compshare
}

list "compshare_custom_image" "building" {
  provider = compshare
  config {
    status = "making"
  }
}

list "compshare_custom_image" "env" {
  provider         = compshare
  include_resource = true
  config {
    name_regex = "^env-"
  }
}

list "compshare_custom_image" "sh2" {
  provider = compshare
  config {
    region = "cn-sh2"
    zone   = "cn-sh2-02"
  }
}

list "compshare_custom_image" "first_two" {
  provider = compshare
  limit    = 2
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("compshare_custom_image.all", 3),
					querycheck.ExpectResourceDisplayName("compshare_custom_image.all", byImage(ready), knownvalue.StringExact("env-ready (Available)")),
					querycheck.ExpectResourceDisplayName("compshare_custom_image.all", byImage(failed), knownvalue.StringExact("broken (UnAvailable)")),
					querycheck.ExpectResourceDisplayName("compshare_custom_image.all", byImage(building),
						knownvalue.StringRegexp(regexp.MustCompile(`^env-building \(Making, (29|3\d)(\.\d+)? %\)$`))),

					querycheck.ExpectLength("compshare_custom_image.building", 1),
					querycheck.ExpectIdentity("compshare_custom_image.building", map[string]knownvalue.Check{
						"region": knownvalue.StringExact(settings.DefaultRegion), "zone": knownvalue.StringExact(settings.DefaultZone),
						"image_id": knownvalue.StringExact(building),
					}),

					querycheck.ExpectLength("compshare_custom_image.env", 2),
					querycheck.ExpectResourceKnownValues("compshare_custom_image.env", byImage(ready), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(ready)},
						{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("env-ready")},
						{Path: tfjsonpath.New("description"), KnownValue: knownvalue.StringExact("CUDA 12")},
						{Path: tfjsonpath.New("tags"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("cuda")})},
						{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact("Available")},
						{Path: tfjsonpath.New("progress"), KnownValue: knownvalue.Float64Exact(100)},
						{Path: tfjsonpath.New("size_mb"), KnownValue: knownvalue.Int64Exact(2048)},
						{Path: tfjsonpath.New("source_gpu_type"), KnownValue: knownvalue.StringExact("4090")},
						{Path: tfjsonpath.New("region"), KnownValue: knownvalue.StringExact(settings.DefaultRegion)},
						{Path: tfjsonpath.New("uhost_id"), KnownValue: knownvalue.Null()},
					}),
					querycheck.ExpectResourceKnownValues("compshare_custom_image.env", byImage(building), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact("Making")},
						{Path: tfjsonpath.New("progress"), KnownValue: between(29, 40)},
						// None: an empty set would not be valid configuration.
						{Path: tfjsonpath.New("tags"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("description"), KnownValue: knownvalue.Null()},
					}),

					querycheck.ExpectIdentity("compshare_custom_image.sh2", map[string]knownvalue.Check{
						"region": knownvalue.StringExact("cn-sh2"), "zone": knownvalue.StringExact("cn-sh2-02"),
						"image_id": knownvalue.StringExact("compshareImage-sh2"),
					}),
					querycheck.ExpectLength("compshare_custom_image.sh2", 1),

					querycheck.ExpectLength("compshare_custom_image.first_two", 2),
				},
			},
		},
	})
	if t.Failed() || t.Skipped() {
		return
	}
	// The build's progress is read once per list that shows it (all,
	// building, env), not once per page or per check.
	progressReads := 0
	for _, r := range srv.Requests() {
		if r.Action == compshare.ActionImageProgress {
			progressReads++
			if r.ImageID != building {
				t.Errorf("progress of %s read; only the image being made needs it", r.ImageID)
			}
		}
	}
	if progressReads > 3 {
		t.Errorf("%d progress reads, want at most one per list showing the build (3)", progressReads)
	}
}

// The query's limit bounds what is read: a limit of 3 over 250 images
// reads one page of 3, not the whole list.
func TestAccCustomImageList_limitBoundsPages(t *testing.T) {
	var images []emulator.Image
	for i := range 250 {
		images = append(images, emulator.Image{ID: fmt.Sprintf("compshareImage-%03d", i), Start: time.Now().Add(-time.Hour)})
	}
	srv := startEmulator(t, emulator.Config{Images: images})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   querySupported,
		Steps: []resource.TestStep{
			{Config: providerConfig(srv.URL())},
			{
				Query: true,
				Config: `
list "compshare_custom_image" "three" {
  provider = compshare
  limit    = 3
}

list "compshare_custom_image" "filtered" {
  provider = compshare
  limit    = 150
  config {
    name_regex = "[05]$"
  }
}

list "compshare_custom_image" "all" {
  provider = compshare
  limit    = 1000
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("compshare_custom_image.three", 3),
					querycheck.ExpectLength("compshare_custom_image.filtered", 50), // pages through all 250
					querycheck.ExpectLength("compshare_custom_image.all", 250),
				},
			},
		},
	})
	if t.Failed() || t.Skipped() {
		return
	}
	// three: 1 page; filtered and all: 3 pages each (100, 100, 50).
	if pages := requestsFor(srv, compshare.ActionDescribeImages); pages != 7 {
		t.Errorf("%d pages read, want 7", pages)
	}
}

func TestAccCustomImageList_invalidConfig(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	// list queries images with config, the list's config block, as HCL.
	list := func(config string) string {
		return tfcli.HCL(`list "compshare_custom_image" "x" {
  provider = compshare
  config {
    {{.}}
  }
}
`, config)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   querySupported,
		Steps: []resource.TestStep{
			{Config: providerConfig(srv.URL())},
			{Query: true, Config: list(`name_regex = "env-("`), ExpectError: errorMatching(`Invalid regular expression`)},
			{Query: true, Config: list(`status = "Done"`), ExpectError: errorMatching(`status value must be one of`)},
			{Query: true, Config: list(`region = "cn-sh2"` + "\n    zone = \"cn-wlcb-01\""), ExpectError: errorMatching(`Zone not in region`)},
		},
	})
}
