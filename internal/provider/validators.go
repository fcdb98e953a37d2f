package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// imageIDPattern and maxImageIDLength describe ids the API could know.
var imageIDPattern = regexp.MustCompile(`^\S+$`)

const maxImageIDLength = 128

// imageIDValidators refuse ids the API could never know, before any call.
var imageIDValidators = []validator.String{
	stringvalidator.LengthBetween(1, maxImageIDLength),
	stringvalidator.RegexMatches(imageIDPattern, "must be an image id such as compshareImage-xxxx, without whitespace"),
}

// uhostIDValidators refuse instance ids the API could never know.
var uhostIDValidators = []validator.String{
	stringvalidator.LengthBetween(1, maxImageIDLength),
	stringvalidator.RegexMatches(imageIDPattern, "must be an instance id such as uhost-xxxx, without whitespace"),
}

// validImageID applies imageIDValidators' rules where no validator runs (import ids).
func validImageID(id string) bool {
	return len(id) <= maxImageIDLength && imageIDPattern.MatchString(id)
}

// maxPollIntervalOverridesBudget tells, in max_poll_interval's description, that
// the bound wins over the call budget (the schedule clamps to it last).
var maxPollIntervalOverridesBudget = "It bounds every pause, the call budget's too (no more calls than fixed polling every " +
	schedule.BudgetInterval.String() + "): below `" + schedule.BudgetInterval.String() + "` the wait may call more often than that."

var (
	maxPollIntervalValidator = durationValidator{min: time.Second, max: time.Hour}
	requestTimeoutValidator  = durationValidator{min: time.Second, max: 5 * time.Minute}
)

// durationValidator accepts Go durations within [min, max].
type durationValidator struct{ min, max time.Duration }

func (v durationValidator) Description(context.Context) string {
	return fmt.Sprintf("value must be a duration such as 30s or 2m, from %s to %s", v.min, v.max)
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d < v.min || d > v.max {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("Attribute %s %s, got: %q.", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}

// targetProgressValidator accepts percentages in (0, 100].
type targetProgressValidator struct{}

func (targetProgressValidator) Description(context.Context) string {
	return "value must be a percentage greater than 0 and at most 100"
}

func (v targetProgressValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v targetProgressValidator) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if p := req.ConfigValue.ValueFloat64(); !(p > 0 && p <= 100) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid target_progress",
			fmt.Sprintf("Attribute %s %s, got: %s.", req.Path, v.Description(ctx), imagewait.FormatPercent(p)))
	}
}

// baseURLValidator accepts absolute http(s) URLs.
type baseURLValidator struct{}

func (baseURLValidator) Description(context.Context) string {
	return "value must be an absolute http or https URL"
}

func (v baseURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (baseURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := compshare.CheckBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid base_url",
			fmt.Sprintf("Attribute %s is invalid: %v.", req.Path, err))
	}
}

// positiveValidator accepts numbers greater than 0.
type positiveValidator struct{}

func (positiveValidator) Description(context.Context) string { return "value must be greater than 0" }

func (v positiveValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v positiveValidator) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if n := req.ConfigValue.ValueFloat64(); !(n > 0) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
			fmt.Sprintf("Attribute %s %s, got: %v.", req.Path, v.Description(ctx), n))
	}
}

// nonEmpty refuses "", which would otherwise read as "not set".
var nonEmpty = []validator.String{stringvalidator.LengthAtLeast(1)}

// nonEmptySet refuses an empty set and empty strings in it: the API receives
// no empty values, so they could never be sent.
var nonEmptySet = setvalidator.All(setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1)))

// parseImportID reads IMAGE_ID or REGION/ZONE/IMAGE_ID; region and zone are
// "" in the first form.
func parseImportID(id string) (region, zone, imageID string, ok bool) {
	parts := strings.Split(id, "/")
	switch len(parts) {
	case 1:
		imageID = parts[0]
	case 3:
		region, zone, imageID = parts[0], parts[1], parts[2]
		if region == "" || zone == "" {
			return "", "", "", false
		}
	default:
		return "", "", "", false
	}
	return region, zone, imageID, validImageID(imageID)
}

// importIDHelp says what an import id must look like.
func importIDHelp(id string) string {
	return fmt.Sprintf("Import id %q is neither an image id (compshareImage-xxxx) nor region/zone/image_id (cn-wlcb/cn-wlcb-01/compshareImage-xxxx).", id)
}

// regexValidator accepts Go (RE2) regular expressions. The framework's
// validators have none that checks a value is a regular expression.
type regexValidator struct{}

func (regexValidator) Description(context.Context) string {
	return "value must be a regular expression in Go (RE2) syntax"
}

func (v regexValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v regexValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := regexp.Compile(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid regular expression",
			fmt.Sprintf("Attribute %s %s, got: %q (%v).", req.Path, v.Description(ctx), req.ConfigValue.ValueString(), err))
	}
}

// timeoutValue is one attribute of a timeouts block: its name and how to read it.
type timeoutValue struct {
	name string
	get  func(context.Context, time.Duration) (time.Duration, diag.Diagnostics)
}

// checkTimeouts refuses timeouts that would end a wait before it starts.
func checkTimeouts(ctx context.Context, values ...timeoutValue) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, v := range values {
		if timeout, d := v.get(ctx, time.Minute); !d.HasError() && timeout <= 0 {
			diags.AddAttributeError(path.Root("timeouts").AtName(v.name), "Invalid timeouts."+v.name,
				fmt.Sprintf("Attribute timeouts.%s must be a positive duration such as 30m, got: %s.", v.name, timeout))
		}
	}
	return diags
}
