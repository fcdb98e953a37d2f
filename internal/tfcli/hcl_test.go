package tfcli

import (
	"fmt"
	"strings"
	"testing"
)

func TestHCL(t *testing.T) {
	got := HCL(`name = {{hcl .Name}}
cpu  = {{hcl .CPU}}
run  = {{hcl .Running}}
tags = {{hcl .Tags}}
from = {{hcl .From}}
`, struct {
		Name    string
		CPU     int
		Running bool
		Tags    []string
		From    Ref
	}{`a "b" \ ${var.x} %{if y} é`, 16, false, []string{"cuda", "train"}, "compshare_custom_image.main.id"})
	want := `name = "a \"b\" \\ $${var.x} %%{if y} é"
cpu  = 16
run  = false
tags = ["cuda", "train"]
from = compshare_custom_image.main.id
`
	if got != want {
		t.Errorf("HCL =\n%s\nwant\n%s", got, want)
	}
}

// A field the data lacks is a mistake in the test, not an empty value.
func TestHCLMissingField(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Title") {
			t.Errorf("recovered %v, want an error naming the field Title", r)
		}
	}()
	HCL(`name = {{hcl .Title}}`, map[string]any{"Name": "x"})
}
