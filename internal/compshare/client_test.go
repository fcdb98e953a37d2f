package compshare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testPrivateKey = "private-key-that-must-stay-secret"

// answers serves the given bodies in turn (the last one repeats); a body
// starting with a three-digit status and a space is sent with that status.
func answers(t *testing.T, bodies ...string) (*Client, *atomic.Int32, *[]*http.Request) {
	t.Helper()
	var calls atomic.Int32
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		seen = append(seen, r)
		n := int(calls.Add(1)) - 1
		body := bodies[min(n, len(bodies)-1)]
		w.Header().Set("X-UCLOUD-REQUEST-UUID", "req-"+string(rune('a'+n)))
		status := http.StatusOK
		if len(body) > 4 && body[3] == ' ' && body[0] >= '1' && body[0] <= '5' {
			status = int(body[0]-'0')*100 + int(body[1]-'0')*10 + int(body[2]-'0')
			body = body[4:]
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL, MaxRetries: 2, UserAgent: "terraform-provider-compshare/test", ProjectID: "org-1"})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return 0 }
	return c, &calls, &seen
}

func f(v float64) *float64 { return &v }

func TestImageProgressErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bodies    []string
		calls     int32
		transient bool
		retCode   int
		status    int
		mention   []string
	}{
		{name: "unknown image", bodies: []string{`{"RetCode":230,"Message":"Params [CompShareImageId] not available"}`}, calls: 1, retCode: 230, mention: []string{"RetCode 230", "not available", "req-a", "compshareImage-x", ActionImageProgress}},
		{name: "bad signature", bodies: []string{`{"RetCode":171,"Message":"Signature VerifyAC Error"}`}, calls: 1, retCode: 171, mention: []string{"RetCode 171"}},
		{name: "service error retried then kept", bodies: []string{`{"RetCode":8433,"Message":"busy"}`}, calls: 3, transient: true, retCode: 8433, mention: []string{"RetCode 8433", "req-c"}},
		{name: "http 503 retried then kept", bodies: []string{`503 unavailable`}, calls: 3, transient: true, status: 503, mention: []string{"HTTP 503: Service Unavailable (request id req-c)"}},
		{name: "http 429 retried then kept", bodies: []string{`429 slow down`}, calls: 3, transient: true, status: 429},
		// UCloud's gateway RetCodes: throttled, service unavailable, API timeout.
		{name: "gateway throttled retried then kept", bodies: []string{`{"RetCode":153,"Message":"request throttled"}`}, calls: 3, transient: true, retCode: 153, mention: []string{"RetCode 153", "req-c"}},
		{name: "gateway unavailable retried then kept", bodies: []string{`{"RetCode":150,"Message":"service unavailable"}`}, calls: 3, transient: true, retCode: 150, mention: []string{"RetCode 150"}},
		{name: "gateway timeout retried then kept", bodies: []string{`{"RetCode":110,"Message":"api timeout"}`}, calls: 3, transient: true, retCode: 110, mention: []string{"RetCode 110"}},
		{name: "http 500 not retried", bodies: []string{`500 oops`}, calls: 1, status: 500, mention: []string{"HTTP 500", "req-a"}},
		{name: "retcode string still a code", bodies: []string{`{"RetCode":"230","Message":"Params [CompShareImageId] not available"}`}, calls: 1, retCode: 230},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, calls, _ := answers(t, tc.bodies...)
			_, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if calls.Load() != tc.calls || IsTransient(err) != tc.transient || apiErr.RetCode != tc.retCode || apiErr.Status != tc.status {
				t.Fatalf("calls=%d transient=%v retcode=%d status=%d: %v", calls.Load(), IsTransient(err), apiErr.RetCode, apiErr.Status, err)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), testPrivateKey) {
				t.Errorf("error echoes the private key")
			}
			if IsNotFound(err) != (tc.retCode == 230) || IsCredentialsRefused(err) != (tc.retCode == 171) {
				t.Errorf("IsNotFound/IsCredentialsRefused wrong for %v", err)
			}
		})
	}
}

func TestTransientThenSuccess(t *testing.T) {
	c, calls, _ := answers(t, `502 bad gateway`, `{"RetCode":8433,"Message":"busy"}`, `{"RetCode":0,"Process":7}`)
	p, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if err != nil || p.Percent != 7 || calls.Load() != 3 || p.RequestID != "req-c" {
		t.Fatalf("p=%+v err=%v calls=%d", p, err, calls.Load())
	}
}

func TestGatewayRetCodesThenSuccess(t *testing.T) {
	c, calls, _ := answers(t, `{"RetCode":153,"Message":"request throttled"}`, `{"RetCode":150,"Message":"service unavailable"}`,
		`{"RetCode":110,"Message":"api timeout"}`, `{"RetCode":0,"Process":7}`)
	c.cfg.MaxRetries = 3
	p, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if err != nil || p.Percent != 7 || calls.Load() != 4 || p.RequestID != "req-d" {
		t.Fatalf("p=%+v err=%v calls=%d", p, err, calls.Load())
	}
}

// slowServer accepts requests and never answers, until the test ends.
func slowServer(t *testing.T) string {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL
}

func TestCancelReturnsPromptly(t *testing.T) {
	url := slowServer(t)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: url, MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err = c.ImageProgress(ctx, "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("cancelled call returned after %v", took)
	}
}

func TestRequestTimeoutIsTransient(t *testing.T) {
	url := slowServer(t)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: url, RequestTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if !IsTransient(err) || errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want a transient timeout", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{PrivateKey: "x"}, "public key"},
		{Config{PublicKey: "x", PrivateKey: "y", BaseURL: "ftp://host"}, "not an http(s) URL"},
		{Config{PublicKey: "x", PrivateKey: "y", BaseURL: "http://"}, "not an http(s) URL"},
		{Config{PublicKey: "x", PrivateKey: "y", BaseURL: "http://%zz"}, `not an http(s) URL such as https://api.compshare.cn or http://127.0.0.1:18080 (invalid URL escape "%zz")`},
		{Config{PublicKey: "x", PrivateKey: "y", BaseURL: "ftp://user:s3cret@host"}, `"ftp://user:xxxxx@host" is not an http(s) URL`},
		{Config{PublicKey: "x", PrivateKey: "y", BaseURL: "127.0.0.1:18080"}, "not an http(s) URL such as"},
		{Config{PublicKey: "x", PrivateKey: "y", MaxRetries: -1}, "negative"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) error = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	c, err := New(Config{PublicKey: "x", PrivateKey: "y"})
	if err != nil || c.cfg.BaseURL != DefaultBaseURL || c.cfg.RequestTimeout != DefaultRequestTimeout {
		t.Fatalf("defaults not applied: %+v %v", c, err)
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	for n := range 10 {
		d := exponentialBackoff(n)
		lo := 100 * time.Millisecond << (2 * min(n, 3))
		if d < lo || d > 10*time.Second {
			t.Errorf("backoff(%d) = %v, want >= %v and <= 10s", n, d, lo)
		}
	}
}

func TestUnknownHostIsNotTransient(t *testing.T) {
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: "http://no-such-host.invalid", MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { t.Fatal("an unknown host was retried"); return 0 }
	_, err = c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if err == nil || IsTransient(err) || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Fatalf("error = %v, want a permanent error naming the host", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"", 0},
		{"-1", 0},
		{"1.5", 0},
		{"soon", 0},
		{"99999999999999999999999", 1 << 32 * time.Second},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{now.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tc.header, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

// An HTTP-date Retry-After counts from the answer's own Date (RFC 9110): a
// server whose clock is 2 h ahead, asking for Date+3s, means 3 s. Only an
// answer without a Date (or an unreadable one) counts from the local clock.
func TestRetryAfterDateIsRelativeToTheAnswersDate(t *testing.T) {
	local := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	server := local.Add(2 * time.Hour)
	for _, tc := range []struct {
		name, date, retryAfter string
		pause                  time.Duration
	}{
		{"server clock 2 h ahead", server.Format(http.TimeFormat), server.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{"server clock 2 h behind", local.Add(-2 * time.Hour).Format(http.TimeFormat), local.Add(-2*time.Hour + 4*time.Second).Format(http.TimeFormat), 4 * time.Second},
		{"no Date: the local clock", "", local.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{"unreadable Date: the local clock", "yesterday", local.Add(6 * time.Second).Format(http.TimeFormat), 6 * time.Second},
		{"seconds need no Date", server.Format(http.TimeFormat), "2", 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := retryAfterServer(t, http.StatusTooManyRequests, tc.retryAfter)
			c.transport = datedAnswers{c.transport, tc.date}
			c.now = func() time.Time { return local }
			got := pauses(c)
			if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x"); err != nil {
				t.Fatal(err)
			}
			if len(*got) != 1 || (*got)[0] != tc.pause {
				t.Fatalf("pauses %v, want one of %v", *got, tc.pause)
			}
		})
	}
}

// datedAnswers gives every answer the Date header date, or none when it is "".
type datedAnswers struct {
	base http.RoundTripper
	date string
}

func (d datedAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := d.base.RoundTrip(r)
	if err == nil {
		resp.Header.Del("Date")
		if d.date != "" {
			resp.Header.Set("Date", d.date)
		}
	}
	return resp, err
}

// retryAfterServer answers the first request with status and a Retry-After
// header, and then 50 %.
func retryAfterServer(t *testing.T, status int, retryAfter string) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(status)
			return
		}
		_, _ = w.Write([]byte(`{"RetCode":0,"Process":50}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL, MaxRetries: 2, MaxRequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return 150 * time.Millisecond }
	return c, &calls
}

// pauses records the client's pauses between attempts instead of sleeping.
func pauses(c *Client) *[]time.Duration {
	var got []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { got = append(got, d); return nil }
	return &got
}

func TestRetryAfterIsHonoured(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		pause      time.Duration
	}{
		{"429 seconds", http.StatusTooManyRequests, "3", 3 * time.Second},
		{"503 seconds", http.StatusServiceUnavailable, "2", 2 * time.Second},
		{"429 HTTP date", http.StatusTooManyRequests, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), maxRetryAfter},
		{"shorter than the backoff", http.StatusTooManyRequests, "0", 150 * time.Millisecond},
		{"capped", http.StatusServiceUnavailable, "600", maxRetryAfter},
		{"502 carries none", http.StatusBadGateway, "3", 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, calls := retryAfterServer(t, tc.status, tc.retryAfter)
			got := pauses(c)
			if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x"); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 2 || len(*got) != 1 || (*got)[0] != tc.pause {
				t.Fatalf("%d requests, pauses %v; want 2 requests and one pause of %v", calls.Load(), *got, tc.pause)
			}
		})
	}
}

func TestRetryAfterOnTheError(t *testing.T) {
	c, _ := retryAfterServer(t, http.StatusTooManyRequests, "7")
	c.cfg.MaxRetries = 0
	_, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if RetryAfter(err) != 7*time.Second || !IsTransient(err) || !strings.Contains(err.Error(), "retry after 7s") {
		t.Fatalf("RetryAfter = %v for %v, want 7s", RetryAfter(err), err)
	}
	c, _ = retryAfterServer(t, http.StatusInternalServerError, "7")
	_, err = c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if RetryAfter(err) != 0 {
		t.Fatalf("RetryAfter = %v for %v, want 0 (HTTP 500)", RetryAfter(err), err)
	}
	if RetryAfter(errors.New("other")) != 0 {
		t.Fatal("RetryAfter of a foreign error")
	}
}

// A pause the server asks for that would outlast the caller is not taken:
// the caller gets the server's error at once, not a timeout later.
func TestRetryAfterBeyondTheDeadline(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("shared progress call ", shared), func(t *testing.T) {
			c, calls := retryAfterServer(t, http.StatusTooManyRequests, "20")
			got := pauses(c)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var err error
			if shared {
				_, err = c.ImageProgress(ctx, "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
			} else {
				_, err = c.ImageStatus(ctx, "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || RetryAfter(err) != 20*time.Second {
				t.Fatalf("error = %v, want the HTTP 429 asking for 20s", err)
			}
			if calls.Load() != 1 || len(*got) != 0 {
				t.Fatalf("%d requests, pauses %v: want no pause and no retry", calls.Load(), *got)
			}
		})
	}
}

// While one call pauses as the server asked, the others keep their turn of
// the request budget.
func TestRetryAfterPauseHoldsNoBudget(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		calls.Add(1)
		if r.PostForm.Get("CompShareImageId") == "compshareImage-limited" {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"RetCode":0,"Process":50}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL, MaxRetries: 1, MaxRequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	paused, release := make(chan time.Duration), make(chan struct{})
	c.sleep = func(ctx context.Context, d time.Duration) error {
		paused <- d
		<-release
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-limited")
		done <- err
	}()
	if d := <-paused; d != 3*time.Second {
		t.Fatalf("paused %v, want 3s", d)
	}
	// The limited call is paused: another caller still gets its answers.
	for i := range 3 {
		if p, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", fmt.Sprint("compshareImage-", i)); err != nil || p.Percent != 50 {
			t.Fatalf("a call during another's pause: %+v, %v", p, err)
		}
	}
	close(release)
	if err := <-done; RetryAfter(err) != 3*time.Second || calls.Load() != 5 {
		t.Fatalf("the limited call ended with %v after %d requests, want its HTTP 429 after 5", err, calls.Load())
	}
}
