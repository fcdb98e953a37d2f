package compshare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer answers every progress request with 50 % and counts them;
// the first failFirst answers are HTTP 503.
func countingServer(t *testing.T, failFirst int32) (string, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"RetCode":0,"Process":50,"TotalDuration":24,"RemainingDuration":12}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

func budgetClient(t *testing.T, url string, perSecond float64) *Client {
	t.Helper()
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: url, MaxRetries: 3, MaxRequestsPerSecond: perSecond})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return 0 }
	return c
}

func TestBudgetSpacesConcurrentCalls(t *testing.T) {
	url, calls := countingServer(t, 0)
	c := budgetClient(t, url, 20)
	const n = 21
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Distinct images, so that no call is shared.
			if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", fmt.Sprint("compshareImage-", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// 21 calls at 20 per second need 20 intervals of 50 ms; only a lower
	// bound is checked, since a slow machine may take longer.
	if took := time.Since(start); took < 950*time.Millisecond {
		t.Errorf("%d calls at 20 per second took %v, want >= 1s", n, took)
	}
	if calls.Load() != n {
		t.Errorf("server saw %d requests, want %d", calls.Load(), n)
	}
}

func TestBudgetCoversRetries(t *testing.T) {
	url, calls := countingServer(t, 2)
	c := budgetClient(t, url, 5)
	start := time.Now()
	if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x"); err != nil {
		t.Fatal(err)
	}
	// Three attempts at 5 per second: two intervals of 200 ms at least.
	if took := time.Since(start); calls.Load() != 3 || took < 390*time.Millisecond {
		t.Errorf("%d attempts took %v, want 3 taking >= 400ms", calls.Load(), took)
	}
}

func TestBudgetIsFair(t *testing.T) {
	url, _ := countingServer(t, 0)
	c := budgetClient(t, url, 50)
	const callers, total = 4, 40
	var served [callers]atomic.Int32
	var sum atomic.Int32
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			for n := 0; sum.Load() < total; n++ {
				// Progress reads of an image never read before are never
				// shared.
				_, _ = c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", fmt.Sprint("compshareImage-", i, "-", n))
				served[i].Add(1)
				sum.Add(1)
			}
		})
	}
	wg.Wait()
	// Tokens are handed out in the order asked: callers that keep asking
	// take turns, so each gets about a quarter.
	for i := range callers {
		if got := served[i].Load(); got < total/callers/2 {
			t.Errorf("caller %d got %d of %d calls: starved", i, got, sum.Load())
		}
	}
}

func TestBudgetWaitEndsWithContext(t *testing.T) {
	url, calls := countingServer(t, 0)
	c := budgetClient(t, url, 0.2) // a token every 5 s
	if _, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.ImageProgress(ctx, "cn-wlcb", "cn-wlcb-01", "compshareImage-b")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("a call queued for the budget returned %v after cancellation", took)
	}
	if calls.Load() != 1 {
		t.Errorf("the cancelled call reached the server: %d requests", calls.Load())
	}
}

func TestNewChecksRequestBudget(t *testing.T) {
	for _, perSecond := range []float64{-1, -0.5, math.NaN()} {
		if _, err := New(Config{PublicKey: "x", PrivateKey: "y", MaxRequestsPerSecond: perSecond}); err == nil {
			t.Errorf("MaxRequestsPerSecond %v accepted", perSecond)
		}
	}
	c, err := New(Config{PublicKey: "x", PrivateKey: "y"})
	if err != nil || c.cfg.MaxRequestsPerSecond != DefaultMaxRequestsPerSecond || c.budget.Limit() > DefaultMaxRequestsPerSecond {
		t.Fatalf("default budget not applied: %+v %v", c, err)
	}
}

// The budget's spacing absorbs delays on the way to the API: with 20
// requests per second queued at once, attempts that reach the API up to
// 150 ms after their turn (a new connection, a busy machine: make bench saw
// 21 requests in one second with a 5 % margin, which absorbs about 100 ms)
// still leave no second with more than 20 arrivals, whichever are late.
func TestBudgetAbsorbsDelaysOnTheWay(t *testing.T) {
	const perSecond, late = 20, 150 * time.Millisecond
	c := budgetClient(t, "http://127.0.0.1:1", perSecond)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var turns []time.Time
	for range 3 * perSecond {
		turns = append(turns, t0.Add(c.budget.ReserveN(t0, 1).DelayFrom(t0)))
	}
	// The most arrivals in one second starting at turn j: those whose turns
	// came up to late before it arrive with it, the rest on time.
	for j, from := range turns {
		in := 0
		for _, turn := range turns {
			if !turn.Before(from.Add(-late)) && turn.Before(from.Add(time.Second)) {
				in++
			}
		}
		if in > perSecond {
			t.Fatalf("%d arrivals within one second from turn %d (%v), attempts up to %v late", in, j, from.Sub(t0), late)
		}
	}
}
