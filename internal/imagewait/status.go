package imagewait

import (
	"strings"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// Verdict is what one status word means for a wait.
type Verdict int

const (
	Pending Verdict = iota // not usable yet: keep waiting
	Usable                 // the wait for 100 % is over
	Failed                 // the wait ends with a *FailedError, with or without a reason
	Unknown                // a word this package does not know: keep waiting, and say so once
)

// Judge applies the status rules: Available is usable; UnAvailable and
// Offline end the wait; Making and Reviewing are not usable yet; any other
// word is unknown. The API's spelling varies, so case does not count.
func Judge(status string) Verdict {
	switch {
	case strings.EqualFold(status, compshare.StatusAvailable):
		return Usable
	case strings.EqualFold(status, compshare.StatusFailed), strings.EqualFold(status, compshare.StatusOffline):
		return Failed
	case strings.EqualFold(status, compshare.StatusMaking), strings.EqualFold(status, compshare.StatusReviewing):
		return Pending
	}
	return Unknown
}
