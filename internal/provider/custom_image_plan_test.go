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

// imageChange sends what differs, and never a description or tags that the
// configuration dropped: the API cannot clear them.
func TestImageChange(t *testing.T) {
	state := imageModel{Name: types.StringValue("env"), Description: types.StringValue("old"), Tags: types.SetValueMust(types.StringType, tagValues([]string{"a"}))}
	plan := state
	plan.Name, plan.Description, plan.Tags = types.StringValue("env2"), types.StringNull(), types.SetUnknown(types.StringType)
	if c := imageChange(plan, state); c.Name == nil || *c.Name != "env2" || c.Description != nil || c.Tags != nil {
		t.Errorf("rename, description and tags dropped: %+v", c)
	}
	plan = state
	plan.Description, plan.Tags = types.StringValue("new"), types.SetValueMust(types.StringType, tagValues([]string{"b"}))
	if c := imageChange(plan, state); c.Name != nil || c.Description == nil || *c.Description != "new" || len(c.Tags) != 1 || c.Tags[0] != "b" {
		t.Errorf("description and tags changed: %+v", c)
	}
	if c := imageChange(state, state); c.Name != nil || c.Description != nil || c.Tags != nil {
		t.Errorf("no change: %+v", c)
	}
}
