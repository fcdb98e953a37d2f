package provider

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// privateSetter and privateGetter are what the framework's private state
// offers in Create and in Read.
type (
	privateSetter interface {
		SetKey(context.Context, string, []byte) diag.Diagnostics
	}
	privateGetter interface {
		GetKey(context.Context, string) ([]byte, diag.Diagnostics)
	}
)

// markMoment records t under key in private state, as a JSON time; what
// names it in an error.
func markMoment(ctx context.Context, private privateSetter, key, what string, t time.Time) diag.Diagnostics {
	value, err := json.Marshal(t.UTC())
	if err != nil {
		return diag.Diagnostics{diag.NewErrorDiagnostic("Cannot record "+what, err.Error())}
	}
	return private.SetKey(ctx, key, value)
}

// momentWithin reports whether private state records under key a moment
// less than window ago.
func momentWithin(ctx context.Context, private privateGetter, key string, window time.Duration) bool {
	value, diags := private.GetKey(ctx, key)
	var at time.Time
	if diags.HasError() || len(value) == 0 || json.Unmarshal(value, &at) != nil {
		return false
	}
	return time.Since(at) < window
}
