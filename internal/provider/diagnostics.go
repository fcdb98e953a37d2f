package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/imagewait"
)

// apiErrorDiagnostic turns a failed API call into a diagnostic that says what
// happened and what to do. The client's errors carry the RetCode, message,
// image id and request id, and never a key.
func apiErrorDiagnostic(imageID string, err error) diag.Diagnostic {
	switch {
	case compshare.IsCredentialsRefused(err):
		return diag.NewErrorDiagnostic("Compshare API refused the credentials",
			fmt.Sprintf("%v.\n\nThe API key pair was not accepted. Check the provider's public_key and private_key "+
				"(or COMPSHARE_PUBLIC_KEY and COMPSHARE_PRIVATE_KEY), and project_id for sub-accounts.", err))
	case compshare.IsNotFound(err):
		return diag.NewErrorDiagnostic("Compshare image not found",
			fmt.Sprintf("%v.\n\nThe API does not know image %q in this region and zone. Check image_id, region and zone.", err, imageID))
	default:
		return diag.NewErrorDiagnostic("Cannot read Compshare image build progress", err.Error())
	}
}

// waitErrorDiagnostic explains why a wait ended without the image;
// timeoutAttribute names the setting that bounds the wait, and afterword
// says what follows for the caller.
func waitErrorDiagnostic(imageID, timeoutAttribute, afterword string, err error) diag.Diagnostic {
	var timeout *imagewait.TimeoutError
	var failed *imagewait.FailedError
	switch {
	case errors.As(err, &timeout):
		return diag.NewErrorDiagnostic("Timed out waiting for image "+imageID,
			err.Error()+"; raise "+timeoutAttribute+" or run apply again."+afterword)
	case errors.As(err, &failed):
		return diag.NewErrorDiagnostic("Image "+imageID+" failed to build", err.Error()+".")
	case errors.Is(err, context.Canceled):
		return diag.NewErrorDiagnostic("Wait for image "+imageID+" interrupted", err.Error()+"."+afterword)
	}
	return apiErrorDiagnostic(imageID, err)
}
