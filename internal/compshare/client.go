// Package compshare calls the Compshare API through the UCloud SDK. It knows
// nothing of Terraform: the provider and the tests use it alike.
package compshare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

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
