// Package compshare calls the Compshare API through the UCloud SDK. It knows
// nothing of Terraform: the provider and the tests use it alike.
package compshare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
	"github.com/ucloud/ucloud-sdk-go/ucloud/log"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
	"golang.org/x/time/rate"
)

// Defaults of Config.
const (
	DefaultBaseURL        = "https://api.compshare.cn"
	DefaultMaxRetries     = 3
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxRequestsPerSecond keeps a hundred waits polite to the API.
	DefaultMaxRequestsPerSecond = 20
)

const requestIDHeader = "X-UCLOUD-REQUEST-UUID"

// The request budget spaces attempts evenly (a burst of one), so no second
// sees more than the budget however many waits poll at once. budgetMargin
// widens the spacing by 5 %: a delay on the way to the API, such as a new
// connection's, must not bring two attempts closer and one more into a second
// as the API counts them.
const budgetMargin = 0.95

// Config says where and as whom the client calls the API.
type Config struct {
	PublicKey  string
	PrivateKey string
	ProjectID  string // optional; sub-accounts must send it
	BaseURL    string
	// MaxRetries is how often a transient failure is retried (0: never).
	MaxRetries int
	// RequestTimeout bounds one HTTP attempt.
	RequestTimeout time.Duration
	// UserAgent is appended to the SDK's User-Agent header.
	UserAgent string
	// MaxRequestsPerSecond caps the HTTP attempts of the client, retries
	// included (0: DefaultMaxRequestsPerSecond).
	MaxRequestsPerSecond float64
}

// Client calls the API. It is safe for concurrent use.
type Client struct {
	cfg       Config
	transport http.RoundTripper
	// backoff returns the pause before retry number n (0-based).
	backoff func(n int) time.Duration
	// sleep pauses between attempts; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// budget is the request budget every attempt of every call takes a token from.
	budget *rate.Limiter
	// now tells the age of shared answers; tests replace it.
	now func() time.Time

	mu sync.Mutex
	// progressCalls holds the latest progress call of each image: in
	// flight and shared by its callers, or finished and reused while fresh.
	progressCalls map[progressKey]*progressCall
	// zoneLookups holds each zone's recent status lookups (shared_lookups.go).
	zoneLookups map[zoneKey]*zoneLookups
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.PublicKey == "" || cfg.PrivateKey == "" {
		return nil, errors.New("both a public key and a private key are needed")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if err := CheckBaseURL(cfg.BaseURL); err != nil {
		return nil, err
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("max retries must not be negative, got %d", cfg.MaxRetries)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if !(cfg.MaxRequestsPerSecond >= 0) {
		return nil, fmt.Errorf("max requests per second must not be negative, got %v", cfg.MaxRequestsPerSecond)
	}
	if cfg.MaxRequestsPerSecond == 0 {
		cfg.MaxRequestsPerSecond = DefaultMaxRequestsPerSecond
	}
	return &Client{
		cfg:           cfg,
		transport:     newTransport(),
		backoff:       exponentialBackoff,
		sleep:         sleep,
		budget:        rate.NewLimiter(rate.Limit(cfg.MaxRequestsPerSecond*budgetMargin), 1),
		now:           time.Now,
		progressCalls: map[progressKey]*progressCall{},
	}, nil
}

// newTransport returns a connection pool of the client's own, set up like
// http.DefaultTransport (proxy from the environment, timeouts, HTTP/2).
func newTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return http.DefaultTransport // replaced by the program: use it as it is
}

// CheckBaseURL accepts an absolute http or https URL with a host. A
// missing scheme ("127.0.0.1:18080") gets the same advice as a wrong one:
// url.Parse's own complaint about it ("first path segment in URL cannot
// contain colon") does not say what to write.
func CheckBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	shown, reason := raw, ""
	var urlErr *url.Error
	switch {
	case err == nil:
		shown = u.Redacted() // no password in an error
	case errors.As(err, &urlErr) && strings.Contains(raw, "://"):
		reason = " (" + urlErr.Err.Error() + ")"
	}
	return fmt.Errorf("%q is not an http(s) URL such as %s or http://127.0.0.1:18080%s", shown, DefaultBaseURL, reason)
}

func (c *Client) locate(req request.Common, region, zone string) {
	_ = req.SetRegion(region)
	_ = req.SetZone(zone)
	if c.cfg.ProjectID != "" {
		_ = req.SetProjectId(c.cfg.ProjectID)
	}
}

// maxRetryAfter caps the pause a Retry-After header imposes on the client's
// own retries: a server asking for minutes should not hold a call that long.
// A caller that can wait longer sees the asked pause in RetryAfter(err).
const maxRetryAfter = 30 * time.Second

// invoke sends req as cl.action, retrying transient failures, and returns
// the request id of the last attempt. Between attempts it pauses for the
// backoff, or for as long as the server asked with Retry-After (at most
// maxRetryAfter), whichever is longer; a pause that would end after ctx's
// deadline (or cl.giveUpBy) is not taken: the error is returned at once. The
// pause holds no token of the request budget: the next attempt takes one
// afterwards, in turn with every other caller.
//
// The SDK takes no context and sleeps between its own retries, so its
// retries are off and every attempt runs with an SDK client whose transport
// carries ctx: cancelling ctx aborts the request in flight at once.
func (c *Client) invoke(ctx context.Context, cl call, req request.Common, answer response.Common) (string, error) {
	giveUpBy, hasDeadline := ctx.Deadline()
	if !cl.giveUpBy.IsZero() && (!hasDeadline || cl.giveUpBy.Before(giveUpBy)) {
		giveUpBy, hasDeadline = cl.giveUpBy, true
	}
	for attempt := 0; ; attempt++ {
		if c.takeToken(ctx) != nil {
			return "", canceled(cl.action, cl.imageID, ctx)
		}
		requestID, err := c.attempt(ctx, cl, req, answer)
		if err == nil {
			return requestID, nil
		}
		if ctx.Err() != nil {
			return requestID, canceled(cl.action, cl.imageID, ctx)
		}
		if !IsTransient(err) || attempt >= c.cfg.MaxRetries || cl.onlyRetryRefused && !IsThrottled(err) {
			return requestID, err
		}
		pause := max(c.backoff(attempt), min(RetryAfter(err), maxRetryAfter))
		if hasDeadline && time.Until(giveUpBy) < pause {
			return requestID, err
		}
		if c.sleep(ctx, pause) != nil {
			return requestID, canceled(cl.action, cl.imageID, ctx)
		}
	}
}

// sleep pauses for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeToken waits until the request budget allows one more attempt, or ctx
// ends. Tokens go to the callers in the order they asked, so none starves.
func (c *Client) takeToken(ctx context.Context) error {
	r := c.budget.Reserve() // always OK: one token never exceeds the burst
	delay := r.Delay()
	if delay == 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel() // hand the slot to the callers queued behind
		return ctx.Err()
	}
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

// answerTime is when the server sent an answer, by its own clock: its Date
// header, else (none, or unreadable) now(). An HTTP-date Retry-After is
// relative to it (RFC 9110, 10.2.3): a server whose clock is ahead of ours
// must not make us wait longer than it meant.
func answerTime(header http.Header, now func() time.Time) time.Time {
	if date, err := http.ParseTime(header.Get("Date")); err == nil {
		return date
	}
	return now()
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110, 10.2.3), the latter relative to sent, when the answer was sent
// (see answerTime). It returns 0 for an absent, invalid or past value.
func parseRetryAfter(header string, sent time.Time) time.Duration {
	header = strings.TrimSpace(header)
	if header == "" {
		return 0
	}
	if seconds, err := strconv.ParseUint(header, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return time.Duration(min(seconds, 1<<32)) * time.Second // a range error leaves the maximum
	}
	if at, err := http.ParseTime(header); err == nil && at.After(sent) {
		return at.Sub(sent)
	}
	return 0
}

// exponentialBackoff follows the SDK's own: 4^n x 100-199 ms, capped at 10 s.
func exponentialBackoff(n int) time.Duration {
	d := time.Duration(100+rand.IntN(100)) * time.Millisecond << (2 * min(n, 3))
	return min(d, 10*time.Second)
}

// checkListAnswer refuses a list answer that names no Action. Every answer
// of the API does; one without it (a proxy's {} or null with HTTP 200), read
// as an empty list, would make a refresh drop images from state, or a plan
// call an instance unknown.
func checkListAnswer(cl call, requestID string, answer response.Common) error {
	if answer.GetAction() != "" {
		return nil
	}
	e := cl.error(requestID, "the answer has no Action: it is not an answer of "+cl.action)
	e.Unreadable = true
	return e
}

// PageSize is how many entries a page of a list asks for: the most that
// DescribeCompShareCustomImages and DescribeCompShareInstance return.
const PageSize = 100

// page is one page of a list, as an action answered it.
type page[T any] struct {
	entries   []T
	limit     int            // how many entries were asked for
	total     optionalNumber // the API's TotalCount
	requestID string
}

// walkPages pages through a list from offset 0: fetch asks for the page at
// an offset; visit gets each page's entries not seen before (by id, in any
// case) with the page's request id, until it returns false or the list
// ends: at a page that is not full and at or past TotalCount, if the API
// sent one. A full page is always followed by the next, since a TotalCount
// may count less than the list holds (0, or only the page's entries); a
// list of exactly full pages costs one more, empty, page. A page without a
// new entry ends it too: a server that ignores Offset must not keep a call
// going forever.
func walkPages[T any](fetch func(offset int) (page[T], error), id func(T) string, visit func(entries []T, requestID string) bool) error {
	seen := map[string]bool{}
	for offset := 0; ; {
		p, err := fetch(offset)
		if err != nil {
			return err
		}
		var fresh []T
		for _, entry := range p.entries {
			if key := strings.ToLower(id(entry)); !seen[key] {
				seen[key] = true
				fresh = append(fresh, entry)
			}
		}
		offset += len(p.entries)
		more := len(p.entries) >= p.limit || p.total.present && float64(offset) < p.total.value
		if !visit(fresh, p.requestID) || len(fresh) == 0 || !more {
			return nil
		}
	}
}

// findInPages pages through a list until the entry whose id is want (in
// any case); it returns nil when the list does not hold it, and the request
// id of the last page read.
func findInPages[T any](fetch func(offset int) (page[T], error), id func(T) string, want string) (*T, string, error) {
	var found *T
	var requestID string
	err := walkPages(fetch, id, func(entries []T, pageRequestID string) bool {
		requestID = pageRequestID
		for i := range entries {
			if strings.EqualFold(id(entries[i]), want) {
				found = &entries[i]
				return false
			}
		}
		return true
	})
	return found, requestID, err
}
