package imagewait

import "github.com/compshare/terraform-provider-compshare/internal/compshare"

// mayPass reports whether err may pass when the call is repeated: inside a
// wait, an answer that could not be read (a proxy's HTML page sent with HTTP
// 200) is one more such fault.
func mayPass(err error) bool {
	return compshare.IsTransient(err) || compshare.IsUnreadable(err)
}
