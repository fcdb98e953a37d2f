package imagewait

import (
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// faults tells what a wait needs to know of an API error beyond
// compshare.IsTransient.
type faults struct {
	// unreadable reports an answer that could not be read, such as a
	// proxy's HTML page sent with HTTP 200: inside a wait, it may pass.
	unreadable func(err error) bool
	// retryAfter is the pause the server asked for (Retry-After); 0 when none.
	retryAfter func(err error) time.Duration
}

// clientFaults reads the errors of *compshare.Client.
var clientFaults = faults{
	unreadable: func(error) bool { return false },      // compshare.IsUnreadable
	retryAfter: func(error) time.Duration { return 0 }, // compshare.RetryAfter
}

// transient reports whether err may pass when the call is repeated.
func (f faults) transient(err error) bool {
	return compshare.IsTransient(err) || f.unreadable(err)
}
