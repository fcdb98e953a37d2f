package provider

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// imageIDValidators refuse ids the API could never know, before any call.
var imageIDValidators = []validator.String{
	stringvalidator.LengthBetween(1, 128),
	stringvalidator.RegexMatches(regexp.MustCompile(`^\S+$`), "must be an image id such as compshareImage-xxxx, without whitespace"),
}

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
