package compshare

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
	"github.com/ucloud/ucloud-sdk-go/ucloud/log"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

const requestIDHeader = "X-UCLOUD-REQUEST-UUID"

// newTransport returns a connection pool of the client's own, set up like
// http.DefaultTransport (proxy from the environment, timeouts, HTTP/2).
func newTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return http.DefaultTransport // replaced by the program: use it as it is
}

func (c *Client) attempt(ctx context.Context, cl call, req request.Common, answer response.Common) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()

	sdkConfig := ucloud.NewConfig()
	sdkConfig.BaseUrl = c.cfg.BaseURL
	sdkConfig.UserAgent = c.cfg.UserAgent
	sdkConfig.Timeout = 0 // the context bounds the attempt
	sdkConfig.MaxRetries = 0
	sdkConfig.LogLevel = log.PanicLevel
	credential := auth.NewCredential()
	credential.PublicKey = c.cfg.PublicKey
	credential.PrivateKey = c.cfg.PrivateKey

	sdk := ucompshare.NewClient(&sdkConfig, &credential).Client
	// The SDK's logrus logger writes to stdout, which belongs to the plugin
	// protocol; what matters is logged by the caller instead.
	silent := log.New()
	silent.SetOutput(io.Discard)
	sdk.SetLogger(silent)
	rt := &attemptTransport{ctx: ctx, base: c.transport, secrets: append(redactor{c.cfg.PrivateKey}, cl.secrets...), now: c.now}
	sdk.SetTransport(rt)

	sdk.SetupRequest(req)
	c.locate(req, cl.region, cl.zone)
	err := sdk.InvokeAction(cl.action, req, answer)
	if rt.redirect != nil {
		// Whatever the SDK made of the redirect's page, it is not the API's answer.
		return rt.requestID, cl.redirected(rt.requestID, *rt.redirect, rt.redactor())
	}
	if err != nil {
		return rt.requestID, cl.newError(rt.requestID, rt.retryAfter, rt.errorBody, rt.redactor(), err)
	}
	return rt.requestID, nil
}

// attemptTransport puts the attempt's context on the SDK's request and keeps
// what the SDK drops or hides: the answer's request id, Retry-After and body
// (dropped for HTTP errors), and the request's signature (to remove it from
// any text the server echoes).
type attemptTransport struct {
	ctx        context.Context
	base       http.RoundTripper
	secrets    redactor         // the private key and the call's own secrets
	now        func() time.Time // the local clock, for an answer without a Date
	requestID  string
	retryAfter time.Duration
	signature  string
	errorBody  string // the redacted body of an answer with HTTP status >= 400
	redirect   *redirect
}

// redirect is an answer that sent the request elsewhere.
type redirect struct {
	status   int
	location *url.URL // resolved against the request's URL
}

// RoundTrip also removes the secrets from the answer's body before the SDK
// decodes it: any text of any answer, an image's FailedReason as much as an
// error's Message, may echo them.
func (t *attemptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.signature = formValue(r, "Signature")
	resp, err := t.base.RoundTrip(r.WithContext(t.ctx))
	if err != nil {
		return nil, err
	}
	t.requestID = strings.TrimSpace(resp.Header.Get(requestIDHeader))
	// The SDK's http.Client would follow a redirect, and one to 301/302
	// turns the POST into a GET without the signed form: the API's answer
	// would then blame the keys (RetCode 171). The client does not follow
	// a 3xx without a Location, so it comes back here, to say what it is.
	if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
		if target, err := r.URL.Parse(loc); err == nil {
			t.redirect = &redirect{status: resp.StatusCode, location: target}
			resp.Header.Del("Location")
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		t.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), answerTime(resp.Header, t.now))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	if err != nil {
		return nil, err // a connection lost mid-answer: a network fault
	}
	redactedBody := t.redactor().redact(string(body))
	if resp.StatusCode >= http.StatusBadRequest {
		t.errorBody = redactedBody
	}
	resp.Body = io.NopCloser(strings.NewReader(redactedBody))
	resp.ContentLength = int64(len(redactedBody))
	return resp, nil
}

// isRedirect reports whether status is one an http.Client follows.
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// redactor holds every secret of the attempt, the signature included.
func (t *attemptTransport) redactor() redactor {
	return append(slices.Clone(t.secrets), t.signature)
}

// maxAnswer bounds what is read of one answer (bytes): far more than any
// answer of the API, and a proxy's page is shown only in part anyway.
const maxAnswer = 8 << 20

// formValue reads name from a copy of r's form body, leaving r as it is.
func formValue(r *http.Request, name string) string {
	if r.GetBody == nil {
		return ""
	}
	body, err := r.GetBody()
	if err != nil {
		return ""
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return ""
	}
	values, err := url.ParseQuery(string(b))
	if err != nil {
		return ""
	}
	return values.Get(name)
}
