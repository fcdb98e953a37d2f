package provider

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

func TestAccProvider_maxRequestsPerSecond(t *testing.T) {
	// Builds of an hour: a parallel test waits for the serial ones (minutes in
	// CI) while its emulator's builds already run.
	srv := startEmulator(t, emulator.Config{Images: []emulator.Image{
		{ID: "compshareImage-a", Total: time.Hour}, {ID: "compshareImage-b", Total: time.Hour},
	}})
	config := func(perSecond string) string {
		return providerConfig(srv.URL(), "max_requests_per_second = "+perSecond) + `

data "compshare_image_progress" "a" { image_id = "compshareImage-a" }
data "compshare_image_progress" "b" { image_id = "compshareImage-b" }
`
	}
	for _, invalid := range []string{"0", "-1"} {
		t.Run(invalid, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config: config(invalid), PlanOnly: true,
					ExpectError: errorMatching(`max_requests_per_second value must be greater than 0, got: ` + invalid),
				}},
			})
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: config("1.5"), // fractions are fine
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.compshare_image_progress.b", tfjsonpath.New("completed"), knownvalue.Bool(false)),
			},
		}},
	})
}

func TestWaitRequestHonoursTheScheduleKnob(t *testing.T) {
	if s := (&providerData{}).waitRequest("r", "z", "id", 100, 0).Schedule; s != nil {
		t.Errorf("without COMPSHARE_WAIT_SCHEDULE the schedule is %T, want nil (adaptive)", s)
	}
	s := (&providerData{fixedPollInterval: 5 * time.Second}).waitRequest("r", "z", "id", 100, 0).Schedule
	if d, _ := s.Next(schedule.Observation{Progress: 50}); s == nil || d != 5*time.Second {
		t.Errorf("fixed:5s gives %T", s)
	}
}

// TestUnknownAttributes sets every attribute of the provider's schema to a
// value known only after apply: each must be reported, so no attribute can
// be added to the schema and missed by the check.
func TestUnknownAttributes(t *testing.T) {
	ctx := t.Context()
	var schemaResp fwprovider.SchemaResponse
	New("test")().Schema(ctx, fwprovider.SchemaRequest{}, &schemaResp)
	s := schemaResp.Schema
	values := map[string]tftypes.Value{}
	for name, a := range s.GetAttributes() {
		values[name] = tftypes.NewValue(a.GetType().TerraformType(ctx), tftypes.UnknownValue)
	}
	config := tfsdk.Config{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(ctx), values)}
	diags := unknownAttributes(ctx, config)
	if len(diags) != len(values) {
		t.Errorf("%d diagnostics for %d unknown attributes: %v", len(diags), len(values), diags)
	}
	for name := range values {
		if !slices.ContainsFunc(diags, func(d diag.Diagnostic) bool { return strings.Contains(d.Detail(), "provider's "+name+" ") }) {
			t.Errorf("unknown %s was not reported", name)
		}
	}

	values["region"] = tftypes.NewValue(tftypes.String, "cn-wlcb")
	for name := range values {
		if name != "region" {
			values[name] = tftypes.NewValue(values[name].Type(), nil)
		}
	}
	config.Raw = tftypes.NewValue(s.Type().TerraformType(ctx), values)
	if diags := unknownAttributes(ctx, config); diags.HasError() {
		t.Errorf("known and null values reported: %v", diags)
	}
}
