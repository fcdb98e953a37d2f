package main

import (
	"testing"
	"time"
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
