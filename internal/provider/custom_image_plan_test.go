package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// planStatus: what the recorded status plans, without Terraform.
func TestPlanStatus(t *testing.T) {
	state := func(status string) customImageModel {
		var m customImageModel
		m.ID, m.Name, m.Description = types.StringValue("compshareImage-a"), types.StringValue("env"), types.StringValue("")
		m.Status, m.FailedReason = types.StringValue(status), types.StringValue("")
		m.Tags = types.SetValueMust(types.StringType, nil)
		return m
	}
	for _, tc := range []struct {
		name     string
		status   string
		rename   bool
		replaced bool
		replace  bool // the status calls for a replacement
		known    bool // status planned as it is
		warnings int
	}{
		{name: "imported, only uhost_id changes", status: "Available", known: true},
		{name: "under review", status: "Reviewing", known: true},
		{name: "renamed: read back after the change", status: "Available", rename: true},
		{name: "replaced for another reason", status: "Available", replaced: true},
		{name: "being built: apply waits", status: "Making"},
		{name: "failed", status: "UnAvailable", replace: true, warnings: 1},
		{name: "taken down", status: "offline", replace: true, warnings: 1},
		{name: "unknown word", status: "Deleting", known: true, warnings: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := state(tc.status)
			plan := s
			plan.Status, plan.FailedReason, plan.Progress = types.StringUnknown(), types.StringUnknown(), types.Float64Unknown()
			if tc.rename {
				plan.Name = types.StringValue("env-2")
			}
			var diags diag.Diagnostics
			replace := planStatus(s, &plan, tc.replaced, &diags)
			if (len(replace) > 0) != tc.replace || plan.Status.IsUnknown() == tc.known || diags.WarningsCount() != tc.warnings || diags.HasError() {
				t.Fatalf("replace %v, status %v, diagnostics %v", replace, plan.Status, diags)
			}
			if tc.known && !plan.Status.Equal(s.Status) {
				t.Errorf("status planned %v, state has %v", plan.Status, s.Status)
			}
		})
	}
}
