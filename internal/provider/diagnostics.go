package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
	"github.com/compshare/terraform-provider-compshare/internal/lifecycle"
)

// apiErrorDiagnostic turns a failed API call into a diagnostic that says what
// happened and what to do. The client's errors carry the action, RetCode,
// message, image or instance id and request id, and never a key.
func apiErrorDiagnostic(err error) diag.Diagnostic {
	var e *compshare.Error
	if !errors.As(err, &e) {
		return diag.NewErrorDiagnostic("Compshare API call failed", err.Error()+".")
	}
	switch {
	case compshare.IsRedirected(err):
		return diag.NewErrorDiagnostic("The Compshare base_url redirects",
			fmt.Sprintf("%v.\n\nThe API is never reached through a redirect (HTTP %d): a proxy or a wrong address answered. "+
				"Set the provider's base_url (or COMPSHARE_BASE_URL) to the address it redirects to, %s, if that is the API, "+
				"or to the API's own address, %s.", err, e.Status, e.Redirect, compshare.DefaultBaseURL))
	case compshare.IsCredentialsRefused(err):
		return diag.NewErrorDiagnostic("Compshare API refused the credentials",
			fmt.Sprintf("%v.\n\nThe API key pair was not accepted. Check the provider's public_key and private_key "+
				"(or COMPSHARE_PUBLIC_KEY and COMPSHARE_PRIVATE_KEY), and project_id for sub-accounts.", err))
	case compshare.IsNotFound(err) && e.UHostID != "" && e.ImageID == "":
		return diag.NewErrorDiagnostic("Compshare instance not found",
			fmt.Sprintf("%v.\n\nThe API does not know instance %q in region %s, zone %s. Check uhost_id, region and zone.", err, e.UHostID, e.Region, e.Zone))
	case compshare.IsNotFound(err):
		return diag.NewErrorDiagnostic("Compshare image not found",
			fmt.Sprintf("%v.\n\nThe API does not know image %q in region %s, zone %s. Check the image id, region and zone.", err, e.ImageID, e.Region, e.Zone))
	case compshare.IsNameTaken(err):
		return diag.NewErrorDiagnostic("Image name already in use",
			fmt.Sprintf("%v.\n\nImage names must differ within the account, also between two images of one configuration. Choose another name.", err))
	case e.Param != "":
		hint := "Check its value."
		switch {
		case strings.EqualFold(e.Param, "Zone"), strings.EqualFold(e.Param, "Region"):
			hint = fmt.Sprintf("Check region and zone: UCloud zones are named after their region, such as %s-01.", e.Region)
		case strings.EqualFold(e.Param, "UHostId"):
			hint = "Check uhost_id: the instance must exist in this region and zone."
		}
		return diag.NewErrorDiagnostic("Compshare API refused parameter "+e.Param,
			fmt.Sprintf("%v.\n\nThe API does not accept the value of %s (region %s, zone %s). %s", err, e.Param, e.Region, e.Zone, hint))
	case compshare.IsUnreachable(err):
		return diag.NewErrorDiagnostic("Cannot reach the Compshare API",
			fmt.Sprintf("%v.\n\nNothing answered at the API's address. Check the provider's base_url (or COMPSHARE_BASE_URL), and the network.", err))
	default:
		return diag.NewErrorDiagnostic("Compshare API call "+e.Action+" failed", err.Error()+".")
	}
}

// imageErrorDiagnostic is apiErrorDiagnostic for a read of an image id that
// the configuration gives: one the API does not know gets a "did you mean"
// from the account's images in the same region and zone (one list call,
// made only then).
func imageErrorDiagnostic(ctx context.Context, client *compshare.Client, err error) diag.Diagnostic {
	d := apiErrorDiagnostic(err)
	if similar := similarImage(ctx, client, err); similar != "" {
		return diag.NewErrorDiagnostic(d.Summary(), d.Detail()+similar)
	}
	return d
}

// similarImage returns a sentence that names the image that an unknown
// image id most likely meant, or "".
func similarImage(ctx context.Context, client *compshare.Client, err error) string {
	var e *compshare.Error
	if !compshare.IsNotFound(err) || !errors.As(err, &e) || e.ImageID == "" {
		return ""
	}
	if similar := client.SimilarImageID(ctx, e.Region, e.Zone, e.ImageID); similar != "" {
		return fmt.Sprintf(" Did you mean %s? The account has an image of that id there.", similar)
	}
	return ""
}

// aftermath says what follows a wait that ended without a usable image, as
// sentences that close its error: after a failed build, and after a timeout
// or an interruption.
type aftermath struct{ failed, stopped string }

// waitErrorDiagnostic explains why a wait ended without a usable image: the
// one wording of timeouts, interruptions and failed builds. timeoutAttribute
// names the setting that bounds the wait.
func waitErrorDiagnostic(imageID, timeoutAttribute string, next aftermath, err error) diag.Diagnostic {
	var timeout *imagewait.TimeoutError
	var failed *imagewait.FailedError
	switch {
	case errors.As(err, &timeout) && timeout.Last == nil && compshare.IsUnreachable(timeout.LastErr):
		return diag.NewErrorDiagnostic("Timed out waiting for image "+imageID,
			err.Error()+"; nothing answered at the API's address: check the provider's base_url (or COMPSHARE_BASE_URL), and the network."+next.stopped)
	case errors.As(err, &timeout):
		return diag.NewErrorDiagnostic("Timed out waiting for image "+imageID,
			err.Error()+"; raise "+timeoutAttribute+" if the build needs longer."+next.stopped)
	case errors.As(err, &failed):
		return diag.NewErrorDiagnostic("Image "+imageID+" failed to build", err.Error()+"."+next.failed)
	case errors.Is(err, context.Canceled):
		return diag.NewErrorDiagnostic("Wait for image "+imageID+" interrupted", err.Error()+"."+next.stopped)
	}
	d := apiErrorDiagnostic(err)
	return diag.NewErrorDiagnostic(d.Summary(), d.Detail()+next.stopped)
}

// interruption says how a wait ended early: "timed out", or "was
// interrupted" (Ctrl-C).
func interruption(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "was interrupted"
}

// nameInUse says which image has a name.
func nameInUse(img compshare.Image, region, zone string) string {
	return fmt.Sprintf("Image %s (%s) in region %s, zone %s already has the name %q, and image names must differ.", img.ID, img.Status, region, zone, img.Name)
}

// adoptImage says how to manage an existing image with the resource whose
// diagnostic it ends. The framework does not tell a resource its address,
// and Terraform shows it with the diagnostic: the text refers to it.
func adoptImage(imageID string) string {
	return fmt.Sprintf("adopt that image into this resource (the address Terraform shows with this message): add an import block whose `to` is "+
		"this resource and whose `id` is %q, or run terraform import with that address and id.", imageID)
}

// What follows a build that a create or an update waited for in vain.
var (
	afterCreate = aftermath{
		failed: " The image stays in state, tainted: the next apply deletes it and builds a new one.",
		stopped: " The image stays in state, tainted: the next apply deletes it and builds a new one. To keep this build " +
			"instead, run terraform untaint on this resource; the next apply then waits for it.",
	}
	afterUpdate = aftermath{
		failed:  " The next apply deletes it and builds a new one.",
		stopped: " The image stays in state as it was: the next apply waits for it again.",
	}
)

// createErrorDiagnostic explains why no build was started, or why one may
// have been without Terraform knowing it.
func createErrorDiagnostic(region, zone string, spec compshare.NewImage, err error) diag.Diagnostic {
	var lost *lifecycle.LostBuildError
	var taken *lifecycle.NameTakenError
	switch {
	case errors.As(err, &lost):
		return diag.NewErrorDiagnostic("Image "+spec.Name+" may have been built", err.Error()+
			".\n\nTerraform does not know that image. Look for it (the Compshare console, or the compshare_custom_images data source with name_regex). "+
			"If it is listed, adopt it into this resource (the address Terraform shows with this message): add an import block whose `to` is this "+
			"resource and whose `id` is the image's id, then apply. If it is not, apply again to build it.")
	case compshare.IsBusy(err) && errors.As(err, new(*lifecycle.TimeoutError)):
		ended, advice := createEnded(err)
		return diag.NewErrorDiagnostic("Image "+spec.Name+" was not built", fmt.Sprintf("%v.\n\nInstance %s had another image being built until %s, "+
			"and the platform builds one image of an instance at a time. Nothing was built or saved: apply again once that build is over%s.",
			err, spec.UHostID, ended, advice))
	case errors.As(err, &taken):
		return diag.NewErrorDiagnostic("Image name already in use",
			fmt.Sprintf("%v.\n\n%s Choose another name, or %s", err, nameInUse(taken.Holder, region, zone), adoptImage(taken.Holder.ID)))
	}
	return apiErrorDiagnostic(err)
}

// lostBuildStoppedDiagnostic explains a build that was found by its name
// after the answer to its request was lost (lost), when the create's context
// had ended (ctxErr) before the wait for it could begin.
func lostBuildStoppedDiagnostic(imageID string, lost, ctxErr error) diag.Diagnostic {
	ended, advice := createEnded(ctxErr)
	return diag.NewErrorDiagnostic("Wait for image "+imageID+" "+interruption(ctxErr),
		fmt.Sprintf("The answer to the build request was lost (%v). Image %s was found by its name afterwards, but %s before the wait for it began%s.%s",
			lost, imageID, ended, advice, afterCreate.stopped))
}

// createEnded says what ended a create early, and what to do about it.
func createEnded(err error) (ended, advice string) {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeouts.create ran out", ", or raise timeouts.create"
	}
	return "apply was interrupted", ""
}
