package compshare

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

func TestImageProgressDecoding(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string
		percent   float64
		total     *float64
		remaining *float64
		wantErr   string
		// unreadable: the answer is not a progress answer (IsUnreadable).
		unreadable bool
	}{
		{name: "documented example", body: `{"Action":"GetCompShareImageCreateProgressResponse","RetCode":0,"Process":65.5,"TotalDuration":300,"RemainingDuration":105}`, percent: 65.5, total: f(300), remaining: f(105)},
		{name: "durations as strings", body: `{"RetCode":0,"Process":10,"TotalDuration":"3600","RemainingDuration":"3240"}`, percent: 10, total: f(3600), remaining: f(3240)},
		{name: "process integer complete", body: `{"RetCode":0,"Process":100,"TotalDuration":300,"RemainingDuration":0}`, percent: 100, total: f(300), remaining: f(0)},
		{name: "fractional string duration", body: `{"RetCode":0,"Process":1.25,"TotalDuration":" 12.5 ","RemainingDuration":"12"}`, percent: 1.25, total: f(12.5), remaining: f(12)},
		{name: "durations missing", body: `{"RetCode":0,"Process":40}`, percent: 40},
		{name: "durations null", body: `{"RetCode":0,"Process":40,"TotalDuration":null,"RemainingDuration":null}`, percent: 40},
		{name: "durations empty strings", body: `{"RetCode":0,"Process":40,"TotalDuration":"","RemainingDuration":" "}`, percent: 40},
		{name: "process as string", body: `{"RetCode":0,"Process":"12.5","TotalDuration":60,"RemainingDuration":52}`, percent: 12.5, total: f(60), remaining: f(52)},
		{name: "float noise above 100", body: `{"RetCode":0,"Process":100.00000000000001}`, percent: 100},
		{name: "float noise below 100", body: `{"RetCode":0,"Process":99.9999999999}`, percent: 100},
		{name: "float noise below 0", body: `{"RetCode":0,"Process":-1e-12}`, percent: 0},
		{name: "float noise as string", body: `{"RetCode":0,"Process":"100.0000000001"}`, percent: 100},
		{name: "process missing", body: `{"RetCode":0,"TotalDuration":300}`, wantErr: "no Process", unreadable: true},
		{name: "process empty string", body: `{"RetCode":0,"Process":""}`, wantErr: "no Process", unreadable: true},
		{name: "empty object", body: `{}`, wantErr: "no Process", unreadable: true},
		{name: "process NaN", body: `{"RetCode":0,"Process":"NaN"}`, wantErr: "could not be read", unreadable: true},
		{name: "process above 100", body: `{"RetCode":0,"Process":150}`, wantErr: "outside 0..100"},
		{name: "process 112.5", body: `{"RetCode":0,"Process":112.5}`, wantErr: "outside 0..100"},
		{name: "process just beyond the noise", body: `{"RetCode":0,"Process":100.000001}`, wantErr: "outside 0..100"},
		{name: "process negative", body: `{"RetCode":0,"Process":-1}`, wantErr: "outside 0..100"},
		{name: "process -5", body: `{"RetCode":0,"Process":-5}`, wantErr: "outside 0..100"},
		{name: "durations not numbers", body: `{"RetCode":0,"Process":5,"TotalDuration":"300s","RemainingDuration":"-"}`, percent: 5},
		{name: "duration of another type", body: `{"RetCode":0,"Process":5,"TotalDuration":{"s":300},"RemainingDuration":120}`, percent: 5, remaining: f(120)},
		{name: "truncated", body: `{"RetCode":0,"Process":5`, wantErr: "could not be read", unreadable: true},
		{name: "html", body: `<html><body>Bad gateway</body></html>`, wantErr: "could not be read", unreadable: true},
		{name: "empty body", body: ``, wantErr: "could not be read", unreadable: true},
		{name: "large html page", body: "<html><body><h1>Down for maintenance</h1>" + strings.Repeat("<p>We will be back soon.</p>", 8000) + "</body></html>", wantErr: "could not be read: response body [<html><body><h1>Down for maintenance", unreadable: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, calls, _ := answers(t, tc.body)
			p, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to mention %q", err, tc.wantErr)
				}
				if IsTransient(err) || calls.Load() != 1 {
					t.Fatalf("a malformed answer must not be retried: transient=%v calls=%d", IsTransient(err), calls.Load())
				}
				if IsUnreadable(err) != tc.unreadable {
					t.Fatalf("IsUnreadable = %v, want %v: %v", IsUnreadable(err), tc.unreadable, err)
				}
				if len(err.Error()) > 500 {
					t.Fatalf("error of %d bytes, want a short excerpt: %.600s", len(err.Error()), err)
				}
				if !strings.Contains(err.Error(), "compshareImage-x") || !strings.Contains(err.Error(), "req-a") {
					t.Fatalf("error %q must name the image and the request id", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Percent != tc.percent || !sameSeconds(p.TotalSeconds, tc.total) || !sameSeconds(p.RemainingSeconds, tc.remaining) {
				t.Fatalf("got %+v (total %v, remaining %v)", p, deref(p.TotalSeconds), deref(p.RemainingSeconds))
			}
			if p.Completed() != (tc.percent >= 100) || p.RequestID != "req-a" {
				t.Fatalf("got %+v", p)
			}
		})
	}
}

func sameSeconds(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestImageProgressRequest(t *testing.T) {
	c, _, seen := answers(t, `{"RetCode":0,"Process":1}`)
	if _, err := c.ImageProgress(t.Context(), "cn-sh2", "cn-sh2-02", "compshareImage-y"); err != nil {
		t.Fatal(err)
	}
	r := (*seen)[0]
	want := map[string]string{"Action": ActionImageProgress, "Region": "cn-sh2", "Zone": "cn-sh2-02", "CompShareImageId": "compshareImage-y", "ProjectId": "org-1", "PublicKey": "pub"}
	for k, v := range want {
		if got := r.PostForm.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if len(r.PostForm.Get("Signature")) != 40 {
		t.Errorf("Signature = %q, want 40 hex digits", r.PostForm.Get("Signature"))
	}
	for k, vs := range r.PostForm {
		if strings.Contains(strings.Join(vs, ""), testPrivateKey) {
			t.Errorf("form field %s carries the private key", k)
		}
	}
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "terraform-provider-compshare/test") {
		t.Errorf("User-Agent = %q", ua)
	}
}

// heldServer answers progress requests only once release is closed; a
// request whose client gives up first is counted in abandoned.
func heldServer(t *testing.T) (c *Client, calls, abandoned *atomic.Int32, release chan struct{}) {
	t.Helper()
	calls, abandoned, release = new(atomic.Int32), new(atomic.Int32), make(chan struct{})
	stop := make(chan struct{}) // frees held requests when a test fails early
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // once the body is read, the server notices a client leaving
		calls.Add(1)
		select {
		case <-release:
			_, _ = w.Write([]byte(`{"RetCode":0,"Process":40}`))
		case <-r.Context().Done():
			abandoned.Add(1)
		case <-stop:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs before srv.Close
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL, MaxRequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return c, calls, abandoned, release
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func TestFreshForBelowMinInterval(t *testing.T) {
	if 2*freshFor > schedule.MinInterval {
		t.Fatalf("freshFor %v is not well below schedule.MinInterval %v: a wait could see one answer twice", freshFor, schedule.MinInterval)
	}
}

func TestConcurrentReadsShareOneCall(t *testing.T) {
	c, calls, _, release := heldServer(t)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			p, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
			if err != nil || p.Percent != 40 {
				t.Errorf("got %+v, %v", p, err)
			}
		})
	}
	eventually(t, "the first request arrives", func() bool { return calls.Load() == 1 })
	eventually(t, "every caller joins the call in flight", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.progressCalls[progressKey{"cn-wlcb", "cn-wlcb-01", "compshareImage-x"}].callers == 10
	})
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("10 concurrent reads made %d requests, want 1", calls.Load())
	}
	// Another zone is another image: not shared.
	if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-02", "compshareImage-x"); err != nil || calls.Load() != 2 {
		t.Errorf("read in another zone: %v, %d requests, want 2", err, calls.Load())
	}
}

func TestFreshAnswerReused(t *testing.T) {
	c, calls, _, release := heldServer(t)
	close(release)
	now := time.Now()
	c.now = func() time.Time { return now }
	read := func() {
		t.Helper()
		if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x"); err != nil {
			t.Fatal(err)
		}
	}
	read()
	now = now.Add(freshFor - time.Millisecond)
	read()
	if calls.Load() != 1 {
		t.Errorf("an answer younger than %v was not reused: %d requests", freshFor, calls.Load())
	}
	now = now.Add(time.Millisecond)
	read()
	if calls.Load() != 2 {
		t.Errorf("an answer %v old was reused: %d requests", freshFor, calls.Load())
	}
}

func TestFailedReadNotReused(t *testing.T) {
	url, calls := countingServer(t, 100) // HTTP 503 throughout
	c := budgetClient(t, url, 1000)
	c.cfg.MaxRetries = 0
	for range 2 {
		if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x"); !IsTransient(err) {
			t.Fatalf("error = %v, want a transient error", err)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("a failed answer was reused: %d requests, want 2", calls.Load())
	}
}

func TestCancelledCallerLeavesSharedCallRunning(t *testing.T) {
	c, calls, abandoned, release := heldServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.ImageProgress(ctx, "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
		firstErr <- err
	}()
	eventually(t, "the first request arrives", func() bool { return calls.Load() == 1 })
	second := make(chan Progress, 1)
	go func() {
		p, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
		if err != nil {
			t.Error(err)
		}
		second <- p
	}()
	eventually(t, "the second caller joins", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.progressCalls[progressKey{"cn-wlcb", "cn-wlcb-01", "compshareImage-x"}].callers == 2
	})

	cancel() // the caller who started the call gives up
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v, want context.Canceled", err)
	}
	close(release)
	if p := <-second; p.Percent != 40 {
		t.Fatalf("the remaining caller got %+v", p)
	}
	if calls.Load() != 1 || abandoned.Load() != 0 {
		t.Errorf("requests %d, abandoned %d: want the one call to finish", calls.Load(), abandoned.Load())
	}
}

func TestCallEndsWhenAllCallersLeave(t *testing.T) {
	c, calls, abandoned, release := heldServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := c.ImageProgress(ctx, "cn-wlcb", "cn-wlcb-01", "compshareImage-x"); !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
		})
	}
	eventually(t, "the request arrives", func() bool { return calls.Load() == 1 })
	cancel()
	wg.Wait()
	eventually(t, "the abandoned request is cut off", func() bool { return abandoned.Load() == 1 })

	// A later caller starts a call of its own rather than joining the dead one.
	close(release)
	if p, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x"); err != nil || p.Percent != 40 || calls.Load() != 2 {
		t.Errorf("got %+v, %v after %d requests; want a fresh answer from a second request", p, err, calls.Load())
	}
}
