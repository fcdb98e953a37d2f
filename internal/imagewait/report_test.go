package imagewait

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

func seconds(v float64) *float64 { return &v }

func TestTimeLeft(t *testing.T) {
	for _, tc := range []struct {
		p      compshare.Progress
		target float64
		age    time.Duration
		want   string
	}{
		{compshare.Progress{Percent: 65.5, TotalSeconds: seconds(300), RemainingSeconds: seconds(105)}, 100, 0, "about 1m45s left by the API's estimate"},
		{compshare.Progress{Percent: 65.5, TotalSeconds: seconds(300), RemainingSeconds: seconds(105)}, 100, 10 * time.Second, "about 1m35s left by the API's estimate"},
		{compshare.Progress{Percent: 10, TotalSeconds: seconds(3600), RemainingSeconds: seconds(3240)}, 50, 0, "about 24m0s left until 50 % by the API's estimate"},
		{compshare.Progress{Percent: 42.5, RemainingSeconds: seconds(105)}, 100, 2 * time.Minute, "the API's estimate of the time left has run out"},
		{compshare.Progress{Percent: 0.29, RemainingSeconds: seconds(0)}, 100, 0, "the API's estimate of the time left has run out"},
		{compshare.Progress{Percent: 0.29}, 100, 0, "the API gives no estimate of the time left"},
		{compshare.Progress{Percent: 33, RemainingSeconds: seconds(math.NaN())}, 100, 0, "the API gives no estimate of the time left"},
		{compshare.Progress{Percent: 100}, 100, 0, "not yet listed as Available"},
	} {
		if got := TimeLeft(tc.p, tc.target, tc.age); got != tc.want {
			t.Errorf("TimeLeft(%+v, %v, %v) = %q, want %q", tc.p, tc.target, tc.age, got, tc.want)
		}
	}
}

// newTestReporter returns a reporter on a fake clock whose messages collect in
// *sent; its timer is stopped, and the tests call remind as it would. A
// message re-arms the real timer: the reporter is stopped when the test ends,
// so that it never fires on into another test.
func newTestReporter(t *testing.T, now *time.Time, sent *[]string) *Reporter {
	r := NewReporter("compshareImage-x", 100, 10*time.Second, func(m string) { *sent = append(*sent, m) })
	r.timer.Stop()
	t.Cleanup(r.Stop)
	r.now = func() time.Time { return *now }
	r.start, r.sentAt = *now, *now
	return r
}

func TestReporterMessages(t *testing.T) {
	now := time.Now()
	var sent []string
	r := newTestReporter(t, &now, &sent)
	now = now.Add(12 * time.Second)
	r.remind()
	r.Poll(compshare.Progress{Percent: 65.5, TotalSeconds: seconds(300), RemainingSeconds: seconds(105)}, 30*time.Second)
	now = now.Add(5 * time.Second)
	r.remind() // a message went out 5 s ago: nothing to say yet
	now = now.Add(5 * time.Second)
	r.remind()
	r.Poll(compshare.Progress{Percent: 70}, 30*time.Second)
	r.Poll(compshare.Progress{Percent: 100}, 0) // ends the wait: Done says it
	now = now.Add(time.Second)
	r.Done(compshare.Progress{Percent: 100})
	r.remind()
	r.Poll(compshare.Progress{Percent: 100}, time.Second)
	want := []string{
		"compshareImage-x: waiting for the first answer (12s elapsed)",
		"compshareImage-x: 65.5 % done, about 1m45s left by the API's estimate",
		"compshareImage-x: 65.5 % done when read 10s ago, about 1m35s left by the API's estimate",
		"compshareImage-x: 70 % done, the API gives no estimate of the time left",
		"compshareImage-x: 100 % done, finished waiting after 23s",
	}
	if len(sent) != len(want) {
		t.Fatalf("sent %q\nwant %q", sent, want)
	}
	for i := range want {
		if sent[i] != want[i] {
			t.Errorf("message %d: %q, want %q", i, sent[i], want[i])
		}
	}
}

func TestReporterStop(t *testing.T) {
	now := time.Now()
	var sent []string
	r := newTestReporter(t, &now, &sent)
	r.Stop()
	r.Stop() // a second stop is harmless
	now = now.Add(time.Minute)
	r.remind()
	r.Poll(compshare.Progress{Percent: 50}, time.Second)
	r.Done(compshare.Progress{Percent: 100})
	if len(sent) != 0 {
		t.Fatalf("sent after Stop: %q", sent)
	}
}

// TestReporterTimer checks that the real timer reminds, and goes on reminding.
func TestReporterTimer(t *testing.T) {
	sent := make(chan string, 10)
	r := NewReporter("compshareImage-x", 100, time.Millisecond, func(m string) {
		select {
		case sent <- m:
		default:
		}
	})
	defer r.Stop()
	for range 3 {
		select {
		case m := <-sent:
			if !strings.HasPrefix(m, "compshareImage-x: waiting for the first answer") {
				t.Fatalf("reminder %q", m)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no reminder")
		}
	}
}
