package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// providerData is what data sources, resources and actions receive from the
// provider's Configure.
type providerData struct {
	client *compshare.Client
	region string
	zone   string
	// fixedPollInterval, when not 0, replaces the adaptive schedule of waits
	// (COMPSHARE_WAIT_SCHEDULE, a benchmarking aid).
	fixedPollInterval time.Duration
}

// configuredData is what Configure of a data source, resource or action
// receives from the provider; nil before the provider is configured.
func configuredData(from any) (*providerData, diag.Diagnostics) {
	var diags diag.Diagnostics
	if from == nil {
		return nil, diags
	}
	data, ok := from.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", from))
	}
	return data, diags
}

// logSubsystem names the provider's own log lines (TF_LOG_PROVIDER_COMPSHARE).
const logSubsystem = "compshare"

// logContext adds the provider's log subsystem to ctx.
func logContext(ctx context.Context) context.Context {
	return tflog.NewSubsystem(ctx, logSubsystem)
}
