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
	// budget is the request budget every attempt of every call takes a token from.
	budget *rate.Limiter
	// now tells the age of shared answers; tests replace it.
	now func() time.Time

	mu sync.Mutex
	// progressCalls holds the latest progress call of each image: in
	// flight and shared by its callers, or finished and reused while fresh.
	progressCalls map[progressKey]*progressCall
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

// CheckBaseURL accepts an absolute http or https URL with a host.
func CheckBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as %s", raw, DefaultBaseURL)
	}
	return nil
}

func (c *Client) locate(req request.Common, region, zone string) {
	_ = req.SetRegion(region)
	_ = req.SetZone(zone)
	if c.cfg.ProjectID != "" {
		_ = req.SetProjectId(c.cfg.ProjectID)
	}
}

// invoke sends req as action for an image in region and zone, retrying
// transient failures with backoff, and returns the request id of the last
// attempt. The SDK takes no context and
// sleeps between its own retries, so its retries are off and every attempt
// runs with an SDK client whose transport carries ctx: cancelling ctx aborts
// the request in flight at once.
func (c *Client) invoke(ctx context.Context, action, region, zone, imageID string, req request.Common, answer response.Common) (string, error) {
	for attempt := 0; ; attempt++ {
		if c.takeToken(ctx) != nil {
			return "", canceled(action, imageID, ctx)
		}
		requestID, err := c.attempt(ctx, action, region, zone, imageID, req, answer)
		if err == nil {
			return requestID, nil
		}
		if ctx.Err() != nil {
			return requestID, canceled(action, imageID, ctx)
		}
		if !IsTransient(err) || attempt >= c.cfg.MaxRetries {
			return requestID, err
		}
		select {
		case <-ctx.Done():
			return requestID, canceled(action, imageID, ctx)
		case <-time.After(c.backoff(attempt)):
		}
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

func (c *Client) attempt(ctx context.Context, action, region, zone, imageID string, req request.Common, answer response.Common) (string, error) {
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
	rt := &attemptTransport{ctx: ctx, base: c.transport}
	sdk.SetTransport(rt)

	sdk.SetupRequest(req)
	c.locate(req, region, zone)
	err := sdk.InvokeAction(action, req, answer)
	if err != nil {
		return rt.requestID, newError(action, imageID, rt.requestID, err)
	}
	return rt.requestID, nil
}

// attemptTransport puts the attempt's context on the SDK's request and keeps
// the request id of the answer, which the SDK drops for HTTP errors.
type attemptTransport struct {
	ctx       context.Context
	base      http.RoundTripper
	requestID string
}

func (t *attemptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r.WithContext(t.ctx))
	if resp != nil {
		t.requestID = strings.TrimSpace(resp.Header.Get(requestIDHeader))
	}
	return resp, err
}

// exponentialBackoff follows the SDK's own: 4^n x 100-199 ms, capped at 10 s.
func exponentialBackoff(n int) time.Duration {
	d := time.Duration(100+rand.IntN(100)) * time.Millisecond << (2 * min(n, 3))
	return min(d, 10*time.Second)
}
