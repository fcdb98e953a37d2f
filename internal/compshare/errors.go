package compshare

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	uerr "github.com/ucloud/ucloud-sdk-go/ucloud/error"
)

// RetCodes with a meaning of their own.
const (
	RetCodeSignature      = 171 // the key pair was refused
	RetCodeNotAvailable   = 230 // UCloud's answer for an unknown id
	firstTransientRetCode = 2000
)

// Error is a failed API call: everything support staff and users need to
// tell what went wrong, and nothing secret.
type Error struct {
	Action    string
	ImageID   string
	RetCode   int // 0 when the API answered no RetCode
	Status    int // HTTP status when it was >= 400, else 0
	Message   string
	RequestID string // X-UCLOUD-REQUEST-UUID, when the server sent one
	Transient bool
	Err       error // the underlying cause, for errors.Is
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s for image %q failed", e.Action, e.ImageID)
	switch {
	case e.RetCode != 0:
		fmt.Fprintf(&b, ": RetCode %d", e.RetCode)
	case e.Status != 0:
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsTransient reports whether err may go away when the call is repeated:
// network faults and timeouts, HTTP 429/502/503/504 and RetCode >= 2000.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}

// IsCredentialsRefused reports whether the API refused the key pair.
func IsCredentialsRefused(err error) bool { return retCode(err) == RetCodeSignature }

// IsNotFound reports whether the API does not know the image (RetCode 230).
func IsNotFound(err error) bool { return retCode(err) == RetCodeNotAvailable }

func retCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.RetCode
	}
	return 0
}

// newError classifies an error returned by the SDK.
func newError(action, imageID, requestID string, err error) *Error {
	e := &Error{Action: action, ImageID: imageID, RequestID: requestID, Err: err, Message: err.Error()}
	var sdkErr uerr.Error
	if !errors.As(err, &sdkErr) {
		return e
	}
	e.Message = sdkErr.Message()
	switch sdkErr.Name() {
	case uerr.ErrRetCode:
		e.RetCode = sdkErr.Code()
		e.Transient = e.RetCode >= firstTransientRetCode
	case uerr.ErrHTTPStatus:
		e.Status = sdkErr.StatusCode()
		// The SDK's message is the status line, "502 Bad Gateway".
		e.Message = strings.TrimPrefix(e.Message, strconv.Itoa(e.Status)+" ")
		switch e.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			e.Transient = true
		}
	case uerr.ErrNetwork:
		e.Transient = !isConfigurationError(sdkErr.OriginError())
	case uerr.ErrResponseBodyError, uerr.ErrEmptyResponseBodyError:
		e.Message = "the answer could not be read: " + shorten(sdkErr.Message(), 300)
	}
	return e
}

// canceled wraps the context's error so callers see why a call stopped.
func canceled(action, imageID string, ctx context.Context) *Error {
	return &Error{Action: action, ImageID: imageID, Message: context.Cause(ctx).Error(), Err: context.Cause(ctx)}
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// isConfigurationError tells network errors that waiting cannot cure: an
// unknown host or a certificate that does not verify.
func isConfigurationError(err error) bool {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authorityErr x509.UnknownAuthorityError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound ||
		errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authorityErr)
}
