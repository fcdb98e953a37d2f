package tfcli

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Ref is a Terraform expression that {{hcl}} writes as it is, such as
// compshare_custom_image.main.id or var.password, where a value would be
// quoted.
type Ref string

// HCL renders a Terraform configuration: text is the configuration as a
// text/template, whose values are the named fields (or map keys) of data.
// {{hcl .Name}} writes a Go value as an HCL value: a string as a quoted
// literal, escaped by HCL's own writer (hclwrite), so that "${" and "%{"
// stay text and are not interpolated; a number, a bool, a slice as a list;
// a Ref as it is. A field that data lacks, or a value {{hcl}} cannot write,
// panics (as template.Must does): the configurations are the tests' own.
//
// Configurations are built this way, not by fmt.Sprintf or by replacing text
// in a rendered one, so that each value is written once, quoted correctly,
// under its name.
func HCL(text string, data any) string {
	tmpl := template.Must(template.New("hcl").Option("missingkey=error").Funcs(template.FuncMap{"hcl": hclValue}).Parse(text))
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		panic(err)
	}
	return b.String()
}

// hclValue writes v as an HCL value.
func hclValue(v any) (string, error) {
	if r, ok := v.(Ref); ok {
		return string(r), nil
	}
	ty, err := gocty.ImpliedType(v)
	if err != nil {
		return "", fmt.Errorf("no HCL value for %#v: %w", v, err)
	}
	val, err := gocty.ToCtyValue(v, ty)
	if err != nil {
		return "", fmt.Errorf("no HCL value for %#v: %w", v, err)
	}
	return string(hclwrite.TokensForValue(val).Bytes()), nil
}
