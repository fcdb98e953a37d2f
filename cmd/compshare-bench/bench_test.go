package main

import (
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

func TestPeakPerSecond(t *testing.T) {
	t0 := time.Now()
	var paced []time.Time
	for i := range 60 {
		paced = append(paced, t0.Add(time.Duration(i)*50*time.Millisecond))
	}
	if got := peakPerSecond(paced); got != 20 {
		t.Errorf("requests 50 ms apart: peak %d, want 20", got)
	}
	burst := append(paced, t0.Add(time.Second), t0.Add(time.Second), t0.Add(1100*time.Millisecond))
	if got := peakPerSecond(burst); got != 23 {
		t.Errorf("with a burst: peak %d, want 23", got)
	}
	if got := peakPerSecond(nil); got != 0 {
		t.Errorf("no requests: peak %d", got)
	}
}

func TestMedian(t *testing.T) {
	if got := median([]int{5, 1, 3}); got != 3 {
		t.Errorf("median of 5 1 3 = %d", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4 1 3 2 = %d, want 2 (integer mean of the middle two)", got)
	}
}

// The builds of each kind must end at different phases of 5-s and 10-s
// polling, or the fixed baselines would always be lucky or always unlucky.
func TestBuildPhases(t *testing.T) {
	for _, runs := range []int{2, 5, 7} {
		for _, long := range []bool{false, true} {
			for _, period := range []time.Duration{5 * time.Second, 10 * time.Second} {
				seen := map[time.Duration]bool{}
				for _, bd := range makeBuilds(runs, runs) {
					if bd.shape != emulator.ShapeChunks || bd.estimate.name != "stale" || bd.long != long {
						continue
					}
					phase := (bd.total % period).Round(100 * time.Millisecond)
					if seen[phase] {
						t.Errorf("%d runs, long %v: two builds end %v into a %v period", runs, long, phase, period)
					}
					seen[phase] = true
				}
				if len(seen) != runs {
					t.Errorf("%d runs, long %v: %d builds of chunks with a stale estimate, want %d", runs, long, len(seen), runs)
				}
			}
		}
	}
}

func TestVerdict(t *testing.T) {
	o := waitOutcome{builds: makeBuilds(2, 2), results: make([][]waitResult, len(waitSchedules))}
	for si := range waitSchedules {
		o.results[si] = make([]waitResult, len(o.builds))
		for i := range o.builds {
			o.results[si][i] = waitResult{calls: 6, lag: 500 * time.Millisecond}
		}
	}
	// Pause tells its end: the lag targets are 1 s median, 2 s worst.
	pause := estimateModes[3]
	idx := o.forShape(emulator.ShapePause, pause, true)
	if got := o.verdict(emulator.ShapePause, pause, idx); got != "PASS" {
		t.Errorf("within the targets: %q", got)
	}
	o.results[0][idx[1]] = waitResult{calls: 8, lag: 2500 * time.Millisecond}
	want := "MISS: lag median 1.50 s, worst 2.50 s; more calls than fixed 5 s on 1 of 2 builds (up to +2)"
	if got := o.verdict(emulator.ShapePause, pause, idx); got != want {
		t.Errorf("verdict = %q, want %q", got, want)
	}
	if tg := o.callsTarget("pause", idx); tg.met || tg.measured != "more on 1 of 2 builds, up to +2" {
		t.Errorf("calls target = %+v", tg)
	}
	// Tail-99 without an estimate does not: the worst lag must be no longer
	// than fixed 5-s polling's.
	none := estimateModes[5]
	idx = o.forShape(emulator.ShapeTail99, none, true)
	o.results[fixed5][idx[0]].lag = 4 * time.Second
	o.results[0][idx[1]].lag = 4 * time.Second
	if got := o.verdict(emulator.ShapeTail99, none, idx); got != "PASS" {
		t.Errorf("as late as fixed polling: %q", got)
	}
	o.results[0][idx[1]].lag = 4100 * time.Millisecond
	if got, want := o.verdict(emulator.ShapeTail99, none, idx), "MISS: worst lag 4.10 s, fixed 5 s's 4.00 s"; got != want {
		t.Errorf("verdict = %q, want %q", got, want)
	}
}
