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
// word is unknown.
func Judge(status string) Verdict {
	switch {
	case strings.EqualFold(status, statusAvailable):
		return Usable
	case strings.EqualFold(status, statusUnavailable), strings.EqualFold(status, statusOffline):
		return Failed
	case strings.EqualFold(status, statusMaking), strings.EqualFold(status, statusReviewing):
		return Pending
	}
	return Unknown
}
