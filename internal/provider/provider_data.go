package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
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
	// builds serialises the image builds of each instance within this
	// provider configuration; across configurations and processes, a build
	// refused as busy is tried again (lifecycle.Images.Create).
	builds *instanceBuilds
}

// instanceBuilds lets one image build of an instance run at a time: the
// platform refuses a second while one runs, so builds of the same instance in
// one configuration go one after the other instead of failing.
type instanceBuilds struct {
	mu    sync.Mutex
	slots map[string]chan struct{} // per instance; holds a token while a build runs
}

// acquire waits until no build of the instance runs, or ctx ends; release
// lets the next one start.
func (b *instanceBuilds) acquire(ctx context.Context, instance string) (release func(), err error) {
	b.mu.Lock()
	if b.slots == nil {
		b.slots = map[string]chan struct{}{}
	}
	slot, ok := b.slots[instance]
	if !ok {
		slot = make(chan struct{}, 1)
		b.slots[instance] = slot
	}
	b.mu.Unlock()
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
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

// instanceKey names an instance for the one-build-at-a-time rule.
func instanceKey(region, zone, uhostID string) string {
	return region + "/" + zone + "/" + strings.ToLower(uhostID)
}
