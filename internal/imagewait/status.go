package imagewait

import (
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

// Judge says what a status word means for a wait, from compshare.MeaningOf:
// a usable image ends it; a failed or taken-down one ends it with a
// *FailedError; one being built or under review is not usable yet.
func Judge(status string) Verdict {
	switch m := compshare.MeaningOf(status); {
	case m.Usable():
		return Usable
	case m.Unusable():
		return Failed
	case m == compshare.ImageBuilding, m == compshare.ImagePendingReview:
		return Pending
	}
	return Unknown
}
