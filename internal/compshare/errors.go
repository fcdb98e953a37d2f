package compshare

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	uerr "github.com/ucloud/ucloud-sdk-go/ucloud/error"
)

// RetCodes with a meaning of their own.
const (
	RetCodeSignature = 171 // the key pair was refused
	// RetCodeNotAvailable is UCloud's answer for a bad value of any
	// parameter, "Params [X] not available": an unknown image id, but also
	// a zone that is not in the region.
	RetCodeNotAvailable   = 230
	firstTransientRetCode = 2000
	// RetCodeBuildRunning refuses CreateCompShareCustomImage while the
	// instance already has an image being made. The public API page states
	// the rule (one build per instance at a time) but not its code: this is
	// the code the emulator models.
	RetCodeBuildRunning = 8801
)

// RetCodes of UCloud's API gateway (its public API conventions): the gateway
// answered, not the action, and the call may succeed when repeated.
const (
	// RetCodeAPITimeout: the action did not answer the gateway in time; it
	// may have acted.
	RetCodeAPITimeout = 110
	// RetCodeServiceUnavailable: the service behind the gateway is down.
	RetCodeServiceUnavailable = 150
	// RetCodeThrottled: the request was throttled and not passed on, as
	// with HTTP 429.
	RetCodeThrottled = 153
)

// gatewayRetCode reports whether code is one of UCloud's gateway RetCodes.
func gatewayRetCode(code int) bool {
	return code == RetCodeAPITimeout || code == RetCodeServiceUnavailable || code == RetCodeThrottled
}

// imageIDParam is the parameter that names the image in every image action.
const imageIDParam = "CompShareImageId"

// uhostIDParam is the parameter that names the instance in every instance action.
const uhostIDParam = "UHostId"

// Error is a failed API call: everything support staff and users need to
// tell what went wrong, and nothing secret: texts from the server or the SDK
// have the private key and the request's signature removed.
type Error struct {
	Action       string
	Region, Zone string // where the call went
	ImageID      string // the image the call was about, if any
	UHostID      string // the instance the call was about, if any
	RetCode      int    // 0 when the API answered no RetCode
	// Param is the parameter whose value the API refused, read from the
	// message of RetCode 230 ("Params [Zone] not available"); "" if none.
	Param     string
	Status    int // HTTP status when it was >= 400 or a redirect, else 0
	Message   string
	RequestID string // X-UCLOUD-REQUEST-UUID, when the server sent one
	// RetryAfter is the pause the server asked for with a Retry-After
	// header on HTTP 429 or 503; 0 when it asked for none.
	RetryAfter time.Duration
	// Transient: the call may succeed when repeated.
	Transient bool
	// Unreadable: the API answered, but not with the answer the action
	// has (an HTML page, truncated JSON, a progress without Process).
	Unreadable bool
	// NotListed: the call succeeded, but the list it returned does not hold
	// the image or instance asked for; or the API refused to delete an
	// image that the list, read then, does not hold.
	NotListed bool
	// Published: the API refused to delete an image that the list, read
	// then, shows published to the community (Visibility 1).
	Published bool
	// Unreachable: nothing answered at the base URL (connection refused, or
	// a host name that does not resolve), which a wrong base_url causes.
	Unreachable bool
	// Redirect: the base URL answered with a redirect (HTTP 3xx, in Status)
	// to this address, without its query; the API is never reached through one.
	Redirect string
	// Err is the underlying cause: the context's error for a call that was
	// cancelled or timed out, else the SDK's error as redacted text.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Action)
	switch {
	case e.ImageID != "":
		fmt.Fprintf(&b, " for image %q", e.ImageID)
	case e.UHostID != "":
		fmt.Fprintf(&b, " for instance %q", e.UHostID)
	}
	b.WriteString(" failed")
	switch {
	case e.Status != 0 && e.RetCode != 0:
		fmt.Fprintf(&b, ": HTTP %d, RetCode %d", e.Status, e.RetCode)
	case e.RetCode != 0:
		fmt.Fprintf(&b, ": RetCode %d", e.RetCode)
	case e.Status != 0:
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Param != "" {
		fmt.Fprintf(&b, " (the API refused the value of parameter %s)", e.Param)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; the server asked to retry after %v", e.RetryAfter)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsTransient reports whether err may go away when the call is repeated:
// network faults and timeouts, HTTP 429/502/503/504, the gateway's RetCodes
// 110, 150 and 153, and RetCode >= 2000 other than a refusal (see Classify).
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}

// IsUnreadable reports whether the API answered something that is not the
// action's answer: an HTML page with HTTP 200, truncated JSON, a progress
// answer without Process. A proxy in the way may answer so for a while.
func IsUnreadable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Unreadable
}

// RetryAfter returns the pause the server asked for (Retry-After on HTTP 429
// or 503), or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// AnswerLost reports whether a failed call that is not idempotent may still
// have been carried out: its answer was lost on the way (a network fault
// after connecting, an HTTP 5xx, whose RetCode is not trusted, an answer that
// could not be read, the gateway's RetCode 110 "API timeout") or the caller stopped waiting for it (ctx cancelled or
// past its deadline). An answer with a RetCode or an HTTP 4xx (429
// included) is a refusal: the API did not act. Nothing answering at the base
// URL (IsUnreachable) means the request never arrived.
func AnswerLost(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var e *Error
	switch {
	case !errors.As(err, &e):
		return false
	case e.Unreadable, e.serverFailed(), e.RetCode == RetCodeAPITimeout:
		// RetCode 110: the gateway stopped waiting for the action, which
		// may have acted.
		return true
	case e.Status != 0, e.RetCode != 0:
		return false
	}
	return e.Transient && !e.Unreachable
}

// IsNameTaken reports whether the API refused the value of parameter Name
// (RetCode 230 "Params [Name] not available"): another image has the name.
func IsNameTaken(err error) bool {
	var e *Error
	return errors.As(err, &e) && strings.EqualFold(e.Param, "Name") && !e.serverFailed()
}

// IsPublished reports whether the API refused to delete an image that is
// published to the community (Visibility 1, as the list read after the
// refusal shows): it must be withdrawn first.
func IsPublished(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Published
}

// IsThrottled reports whether the API refused the request without acting on
// it because of its rate: HTTP 429, or the gateway's RetCode 153.
func IsThrottled(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusTooManyRequests || e.RetCode == RetCodeThrottled && !e.serverFailed())
}

// IsCredentialsRefused reports whether the API refused the key pair.
func IsCredentialsRefused(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.RetCode == RetCodeSignature && !e.serverFailed()
}

// serverFailed reports whether the answer had an HTTP 5xx status: its
// RetCode, if any, is shown but not trusted (a gateway's error page must
// not read as a missing image, which would drop it from state).
func (e *Error) serverFailed() bool { return e.Status >= http.StatusInternalServerError }

// IsNotFound reports whether the API does not know the image or instance:
// a list without it, or RetCode 230 for the image id parameter (or for a
// parameter the message does not name). RetCode 230 for another parameter,
// such as Zone, is a bad request, not a missing image; neither is a RetCode
// sent with an HTTP 5xx status.
func IsNotFound(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.NotListed {
		return true
	}
	if e.RetCode != RetCodeNotAvailable || e.serverFailed() {
		return false
	}
	param := e.Param
	if param == "" {
		param = refusedParam(e.Message)
	}
	return param == "" || strings.EqualFold(param, imageIDParam) || strings.EqualFold(param, uhostIDParam)
}

// refusedParamPattern finds X in "Params [X] not available".
var refusedParamPattern = regexp.MustCompile(`\[\s*([A-Za-z][A-Za-z0-9_.]*)\s*\]`)

// refusedParam returns the parameter named by a RetCode 230 message, or "".
func refusedParam(message string) string {
	if m := refusedParamPattern.FindStringSubmatch(message); m != nil {
		return m[1]
	}
	return ""
}

// call names one API call: where it goes, and what its errors name.
type call struct {
	action, region, zone string
	imageID, uhostID     string
	// onlyRetryRefused: the action is not idempotent, so only an answer
	// that says the API did not act on the request (IsThrottled) is retried.
	onlyRetryRefused bool
	// giveUpBy, when set, is a deadline for the call's pauses that its
	// context does not carry (see startProgressCall).
	giveUpBy time.Time
	// secrets are removed, with the private key and the signature, from
	// every text of the answer and of errors: a password the request
	// carries, in every form it was sent.
	secrets []string
}

// error returns an *Error of the call with message, also as its cause.
func (cl call) error(requestID, message string) *Error {
	return &Error{Action: cl.action, Region: cl.region, Zone: cl.zone, ImageID: cl.imageID, UHostID: cl.uhostID,
		RequestID: requestID, Message: message, Err: errors.New(message)}
}

// redirected is the error of an answer that redirected the request: the
// API never answers so, a proxy or a wrong base URL does.
func (cl call) redirected(requestID string, to redirect, secrets redactor) *Error {
	location := secrets.redact(to.location.Redacted())
	base := *to.location
	base.RawQuery, base.ForceQuery, base.Fragment, base.RawFragment = "", false, "", ""
	e := cl.error(requestID, fmt.Sprintf("the base URL redirects to %s (Location); redirects are not followed: a 301 or 302 turns the signed POST into a GET without its form", location))
	e.Status, e.Redirect = to.status, secrets.redact(base.Redacted())
	return e
}

// IsRedirected reports whether the base URL answered with a redirect (its
// target is in Error.Redirect).
func IsRedirected(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Redirect != ""
}

// IsUnreachable reports whether nothing answered at the base URL.
func IsUnreachable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Unreachable
}

// newError classifies an error returned by the SDK; secrets are removed from
// every text of it before it is kept.
// errorBody is the answer's body when its HTTP status was an error
// (redacted already): the SDK drops it.
func (cl call) newError(requestID string, retryAfter time.Duration, errorBody string, secrets redactor, err error) *Error {
	// The SDK's error is not kept: its text, and what it wraps, may hold a
	// secret the server echoed. Err holds its redacted text instead.
	text := secrets.redact(err.Error())
	e := cl.error(requestID, text)
	var sdkErr uerr.Error
	if !errors.As(err, &sdkErr) {
		return e
	}
	e.Message = secrets.redact(sdkErr.Message())
	switch sdkErr.Name() {
	case uerr.ErrRetCode:
		e.setRetCode(sdkErr.Code(), e.Message)
	case uerr.ErrHTTPStatus:
		e.Status = sdkErr.StatusCode()
		// The SDK's message is the status line, "502 Bad Gateway".
		e.Message = strings.TrimPrefix(e.Message, strconv.Itoa(e.Status)+" ")
		switch e.Status {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			e.RetryAfter = retryAfter
			e.Transient = true
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			e.Transient = true
		}
		// A server may send an error's RetCode with an HTTP error status:
		// with a 4xx, the RetCode tells more (230: no such image) than the
		// status; with a 5xx it is only shown (see serverFailed). Whether
		// to try again is the status's to say.
		var answer struct {
			RetCode optionalNumber
			Message string
		}
		if json.Unmarshal([]byte(errorBody), &answer) == nil && answer.RetCode.present && answer.RetCode.value != 0 &&
			answer.RetCode.value == math.Trunc(answer.RetCode.value) && math.Abs(answer.RetCode.value) < math.MaxInt32 {
			transient := e.Transient
			e.setRetCode(int(answer.RetCode.value), shorten(cmp.Or(answer.Message, e.Message), 300))
			e.Transient = transient
		}
	case uerr.ErrNetwork:
		e.Transient = !isConfigurationError(sdkErr.OriginError())
		// Any failure to connect: refused, no route, a dial that times
		// out (a firewall that drops), or a host name that does not resolve.
		var opErr *net.OpError
		var dnsErr *net.DNSError
		e.Unreachable = errors.As(sdkErr.OriginError(), &opErr) && opErr.Op == "dial" || errors.As(sdkErr.OriginError(), &dnsErr)
		if errors.Is(sdkErr.OriginError(), http.ErrSchemeMismatch) {
			e.Message += "; the base URL starts with https:// but the server answers plain HTTP: use http://"
		}
	case uerr.ErrResponseBodyError, uerr.ErrEmptyResponseBodyError:
		e.Unreadable = true
		e.Message = "the answer could not be read: " + shorten(e.Message, 300)
	}
	return e
}

// setRetCode records the API's RetCode and its message.
func (e *Error) setRetCode(code int, message string) {
	e.RetCode, e.Message = code, message
	// A refusal on the merits (sold out, quota, a lock held for minutes)
	// does not go away in the seconds the client's own retries take.
	e.Transient = (code >= firstTransientRetCode || gatewayRetCode(code)) && Classify(e) == NotRefused
	if code == RetCodeNotAvailable {
		e.Param = refusedParam(message)
	}
}

// canceled wraps the context's error so callers see why a call stopped.
func canceled(action, imageID string, ctx context.Context) *Error {
	return &Error{Action: action, ImageID: imageID, Message: context.Cause(ctx).Error(), Err: context.Cause(ctx)}
}

// redactor holds the secrets of one attempt: the private key and the
// request's signature.
type redactor []string

const redacted = "[redacted]"

// redact replaces each secret in s, as it is or as a server might have
// escaped it in JSON, HTML or a URL.
func (r redactor) redact(s string) string {
	for _, secret := range r {
		if secret == "" {
			continue
		}
		quoted, _ := json.Marshal(secret)
		jsonForm := string(quoted[1 : len(quoted)-1])
		for _, form := range []string{secret, jsonForm, strings.ReplaceAll(jsonForm, "/", `\/`),
			html.EscapeString(secret), url.QueryEscape(secret), url.PathEscape(secret)} {
			s = strings.ReplaceAll(s, form, redacted)
		}
	}
	return s
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// isConfigurationError tells network errors that waiting cannot cure: an
// unknown host, https:// to a plain HTTP server, or a certificate that does
// not verify.
func isConfigurationError(err error) bool {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authorityErr x509.UnknownAuthorityError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound || errors.Is(err, http.ErrSchemeMismatch) ||
		errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authorityErr)
}

// RetCodes of the instance actions. Only RetCodeSoldOut and the account
// codes 226601-226606 are documented (Compshare's public error code page);
// the others are the emulator's inventions for rules the pages state
// without a code. An independent API may spell them differently, so the
// classification below also reads the words of the message.
const (
	RetCodeUnpaid  = 226601 // unpaid bills: creation refused until they are paid
	RetCodeSoldOut = 226604 // not enough resources: the GPU type is sold out in the zone
	// RetCodeUnverified: real-name verification is missing.
	RetCodeUnverified = 226606

	// RetCodeInstanceBusy is the emulator's (invented) code for
	// InstanceOperationInProgress: a change holds the instance's lock.
	RetCodeInstanceBusy = 8830
	// RetCodeQuota is the emulator's (invented) code for an account at its
	// instance quota.
	RetCodeQuota = 8831
	// RetCodeImageNotReady is the emulator's (invented) code for an image
	// that is not Available (still Making, failed or taken down).
	RetCodeImageNotReady = 8832
	// RetCodeInstanceState is the emulator's (invented) code for an
	// operation the instance's state does not allow (Resize, Terminate or
	// Reinstall while not Stopped; Start while Running ...).
	RetCodeInstanceState = 8802
)

// Refusal is what an instance action's error means for the caller.
type Refusal int

const (
	// NotRefused: no refusal this package knows (or no error).
	NotRefused Refusal = iota
	// Busy: a change holds the instance's lock (InstanceOperationInProgress,
	// up to 10 minutes), or the instance already has an image being made:
	// retry later, within the caller's timeout.
	Busy
	// SoldOut: no GPU of the type is free in the zone. Retrying at once does
	// not help; another zone, GPU type or later time may.
	SoldOut
	// QuotaReached: the account holds as many instances as it may.
	QuotaReached
	// ImageNotReady: the image is not Available.
	ImageNotReady
	// WrongState: the instance's state does not allow the operation.
	WrongState
	// AccountBlocked: unpaid bills, expired or unverified account (226601-226606
	// other than sold out).
	AccountBlocked
)

// Classify tells what an error of an instance action means: the one place
// that knows the RetCodes and words of the platform's refusals. An answer
// with HTTP 5xx is never a refusal (see serverFailed).
func Classify(err error) Refusal {
	var e *Error
	if !errors.As(err, &e) || e.RetCode == 0 || e.serverFailed() {
		return NotRefused
	}
	msg := strings.ToLower(e.Message)
	switch {
	case e.RetCode == RetCodeInstanceBusy || e.RetCode == RetCodeBuildRunning ||
		strings.Contains(msg, "instanceoperationinprogress") || strings.Contains(msg, "operation in progress"):
		return Busy
	case e.RetCode == RetCodeSoldOut:
		return SoldOut
	case e.RetCode >= RetCodeUnpaid && e.RetCode <= RetCodeUnverified:
		return AccountBlocked
	case e.RetCode == RetCodeQuota || strings.Contains(msg, "quota"):
		return QuotaReached
	case e.RetCode == RetCodeImageNotReady:
		return ImageNotReady
	case e.RetCode == RetCodeInstanceState:
		return WrongState
	}
	return NotRefused
}

// IsBusy reports whether the API refused the call for a reason that passes
// with time, so that the same call may succeed later: a change holds the
// instance's lock (InstanceOperationInProgress), or the instance already has
// an image being made (RetCodeBuildRunning). The refusal is an answer: the
// API did not act on the request.
func IsBusy(err error) bool { return Classify(err) == Busy }
