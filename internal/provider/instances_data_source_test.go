package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
)

// The data sources read one instance and a filtered list, never the
// password the API answers.
func TestAccInstanceDataSources(t *testing.T) {
	const password = "c2VjcmV0LXBhc3N3b3Jk" // base64, as the API answers it
	created := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	srv := startEmulator(t, emulator.Config{Instances: []emulator.Instance{
		{ID: "uhost-a", Name: "train-a", GpuType: "4090", GPU: 2, CPU: 16, MemoryMB: 65536, ImageID: "compshareImage-x", ChargeType: "Dynamic",
			BootDiskType: "CLOUD_SSD", BootDiskSizeGB: 100, IP: "10.9.0.7", Created: created, Password: password},
		{ID: "uhost-b", Name: "train-b", State: "Stopped", GpuType: "4090", GPU: 1},
		{ID: "uhost-c", Name: "infer", GpuType: "H20", GPU: 1},
	}})
	config := providerConfig(srv.URL()) + `
data "compshare_instance" "a" {
  id = "uhost-a"
}

data "compshare_instances" "training" {
  name_regex = "^train-"
  state      = "running"
}
`
	one := "data.compshare_instance.a"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(one, tfjsonpath.New("name"), knownvalue.StringExact("train-a")),
				statecheck.ExpectKnownValue(one, tfjsonpath.New("state"), knownvalue.StringExact("Running")),
				statecheck.ExpectKnownValue(one, tfjsonpath.New("gpu"), knownvalue.Int64Exact(2)),
				statecheck.ExpectKnownValue(one, tfjsonpath.New("memory_mb"), knownvalue.Int64Exact(65536)),
				statecheck.ExpectKnownValue(one, tfjsonpath.New("boot_disk_size_gb"), knownvalue.Int64Exact(100)),
				statecheck.ExpectKnownValue(one, tfjsonpath.New("ips"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.9.0.7")})),
				statecheck.ExpectKnownValue(one, tfjsonpath.New("created_at"), knownvalue.StringExact("2026-11-01T08:00:00Z")),
				statecheck.ExpectKnownValue("data.compshare_instances.training", tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact("uhost-a")}),
				})),
			},
			Check: func(s *terraform.State) error {
				if strings.Contains(s.String(), password) {
					return errors.New("the state holds the instance's password")
				}
				return nil
			},
		}, {
			Config:      providerConfig(srv.URL()) + `data "compshare_instance" "gone" { id = "uhost-gone" }`,
			ExpectError: errorMatching(fmt.Sprintf("Compshare instance not found(.|\n)*%s", "uhost-gone")),
		}},
	})
}

// terraform query lists the instances with the identity that imports them.
func TestAccInstanceList_query(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Instances: []emulator.Instance{
		{ID: "uhost-a", Name: "train-a", GpuType: "4090", GPU: 2, CPU: 16, MemoryMB: 65536, ChargeType: "Dynamic", Password: "c2VjcmV0"},
		{ID: "uhost-b", Name: "train-b", State: "Stopped", GpuType: "H20", GPU: 1, CPU: 8, MemoryMB: 32768, ChargeType: "Month"},
	}})
	byInstance := func(id string) queryfilter.QueryFilter {
		return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
			"region": knownvalue.StringExact(settings.DefaultRegion), "zone": knownvalue.StringExact(settings.DefaultZone),
			"uhost_id": knownvalue.StringExact(id),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   querySupported,
		Steps: []resource.TestStep{
			{Config: providerConfig(srv.URL())},
			{
				Query: true,
				Config: `
list "compshare_instance" "all" {
  provider         = compshare
  include_resource = true
}

list "compshare_instance" "stopped" {
  provider = compshare
  config {
    state = "stopped"
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("compshare_instance.all", 2),
					querycheck.ExpectResourceDisplayName("compshare_instance.all", byInstance("uhost-a"), knownvalue.StringExact("train-a (Running, 2 x 4090)")),
					querycheck.ExpectResourceKnownValues("compshare_instance.all", byInstance("uhost-b"), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("train-b")},
						{Path: tfjsonpath.New("running"), KnownValue: knownvalue.Bool(false)},
						{Path: tfjsonpath.New("memory_mb"), KnownValue: knownvalue.Int64Exact(32768)},
						{Path: tfjsonpath.New("charge_type"), KnownValue: knownvalue.StringExact("Month")},
						{Path: tfjsonpath.New("password_wo"), KnownValue: knownvalue.Null()},
					}),
					querycheck.ExpectLength("compshare_instance.stopped", 1),
					querycheck.ExpectIdentity("compshare_instance.stopped", map[string]knownvalue.Check{
						"region": knownvalue.StringExact(settings.DefaultRegion), "zone": knownvalue.StringExact(settings.DefaultZone),
						"uhost_id": knownvalue.StringExact("uhost-b"),
					}),
				},
			},
		},
	})
}
