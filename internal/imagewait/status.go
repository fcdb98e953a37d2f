package imagewait

import "strings"

// Status words of DescribeCompShareCustomImages. The API's spelling varies,
// so they are compared without regard to case.
const (
	statusMaking      = "Making"      // being built
	statusAvailable   = "Available"   // usable
	statusUnavailable = "UnAvailable" // the build failed, or the image is unusable
	statusReviewing   = "Reviewing"   // under review after publishing
	statusOffline     = "Offline"     // taken down
)

// verdict is what one status word means for a wait.
type verdict int

const (
	pending verdict = iota // not usable yet: keep waiting
	usable                 // the wait for 100 % is over
	failed                 // the wait ends with a *FailedError, with or without a reason
	unknown                // a word this package does not know: keep waiting, and say so once
)

// judge applies the status rules: Available is usable; UnAvailable and
// Offline end the wait; Making and Reviewing are not usable yet; any other
// word is unknown.
func judge(status string) verdict {
	switch {
	case strings.EqualFold(status, statusAvailable):
		return usable
	case strings.EqualFold(status, statusUnavailable), strings.EqualFold(status, statusOffline):
		return failed
	case strings.EqualFold(status, statusMaking), strings.EqualFold(status, statusReviewing):
		return pending
	}
	return unknown
}
