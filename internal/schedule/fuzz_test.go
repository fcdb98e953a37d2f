package schedule

import (
	"math"
	"testing"
	"time"
)

// FuzzETA checks the estimate on arbitrary answers: no panic, never
// negative, zero once the target is reached.
func FuzzETA(f *testing.F) {
	f.Add(65.5, int64(300), int64(105), 100.0) // the API document's example
	f.Add(0.0, int64(24), int64(24), 100.0)
	f.Add(112.5, int64(300), int64(0), 100.0) // Process above 100
	f.Add(-5.0, int64(300), int64(300), 50.0) // negative Process
	f.Add(10.0, int64(-1), int64(-1), 100.0)  // durations missing
	f.Add(math.NaN(), math.MaxInt64/int64(time.Second), int64(1), math.Inf(1))
	f.Fuzz(func(t *testing.T, progress float64, totalSeconds, remainingSeconds int64, target float64) {
		o := Observation{At: time.Unix(0, 0), Progress: progress, Total: seconds(float64(totalSeconds)), Remaining: seconds(float64(remainingSeconds))}
		if totalSeconds < 0 {
			o.Total = -1
		}
		if remainingSeconds < 0 {
			o.Remaining = -1
		}
		eta, ok := ETA(o, target)
		if eta < 0 {
			t.Fatalf("ETA(%+v, %v) = %v", o, target, eta)
		}
		if ok && clampPercent(progress) >= clampPercent(target) && eta != 0 {
			t.Fatalf("target reached but ETA(%+v, %v) = %v", o, target, eta)
		}
	})
}

// FuzzAdaptive drives the schedule with arbitrary answers and checks the
// promises its callers rely on: every delay is within [MinInterval,
// maxInterval], and until the target is reached, call n comes no earlier than
// fixed polling's (every BudgetInterval, or every max interval if shorter).
func FuzzAdaptive(f *testing.F) {
	f.Add(100.0, int64(30), []byte{0, 10, 20, 20, 20, 90, 100})
	f.Add(50.0, int64(1), []byte{5, 4, 3, 200, 255})
	f.Add(0.0, int64(0), []byte{})
	f.Fuzz(func(t *testing.T, target float64, maxSeconds int64, steps []byte) {
		maxInterval := time.Duration(maxSeconds) * time.Second
		s := NewAdaptive(target, maxInterval)
		bound := maxInterval
		if bound <= 0 {
			bound = DefaultMaxInterval
		}
		bound = max(bound, MinInterval)
		budget := min(BudgetInterval, bound)
		at, reached := time.Unix(0, 0), false
		for i, b := range steps {
			// Each byte is an answer: progress in half percent steps (so
			// above 100 too), and every third one without estimates.
			o := Observation{At: at, Progress: float64(b) / 2, Total: 300 * time.Second, Remaining: time.Duration(255-int(b)) * time.Second}
			if i%3 == 2 {
				o.Total, o.Remaining = -1, -1
			}
			if !reached && at.Before(time.Unix(0, 0).Add(time.Duration(i)*budget)) {
				t.Fatalf("answer %d at %v: sooner than fixed polling every %v", i, at, budget)
			}
			reached = reached || clampPercent(o.Progress) >= clampPercent(target)
			d, reason := s.Next(o)
			if reason == "" {
				t.Fatalf("answer %d (%+v): no reason for delay %v", i, o, d)
			}
			if d < MinInterval || d > bound {
				t.Fatalf("answer %d (%+v): delay %v outside [%v, %v]", i, o, d, MinInterval, bound)
			}
			at = at.Add(d)
		}
	})
}
