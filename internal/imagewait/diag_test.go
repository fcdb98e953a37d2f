package imagewait

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// temporary diagnostics
func TestDiag(t *testing.T) {
	spec := os.Getenv("DIAG") // shape/estimate/making(s)
	if spec == "" {
		t.Skip()
	}
	parts := strings.Split(spec, "/")
	shape, _ := buildshape.ShapeNamed(parts[0])
	var est buildshape.Estimate
	for _, e := range buildshape.Estimates {
		if e.Name == parts[1] {
			est = e
		}
	}
	making, _ := time.ParseDuration(parts[2])
	trace := os.Getenv("TRACE")
	for _, d := range minuteDurations {
		for _, phase := range startPhases {
			for _, lat := range latencies {
				b := buildshape.Build{Shape: shape, Estimate: est, Duration: d}
				r := runShape(t, nil, b, phase, making, lat)
				if r.lag > 1*time.Second || trace == d.String()+"/"+phase.String()+"/"+lat.String() {
					t.Logf("%v phase %v lat %v: calls %d lag %v", d, phase, lat, r.calls, r.lag)
				}
				if trace == d.String()+"/"+phase.String()+"/"+lat.String() {
					traceShape(t, b, phase, making, lat)
				}
			}
		}
	}
}

func traceShape(t *testing.T, b buildshape.Build, phase, making, latency time.Duration) {
	c := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := &shapeBuild{clock: c, started: c.now.Add(-phase), build: b, making: making, latency: latency}
	req := Request{Region: region, Zone: zone, ImageID: imageID, Target: 100, OnPoll: func(p compshare.Progress, next time.Duration, why string) {
		rem := -1.0
		if p.RemainingSeconds != nil {
			rem = *p.RemainingSeconds
		}
		t.Logf("t=%7.2f p=%6.2f rem=%5.0f calls=%d+%d next=%v %s", c.now.Sub(r.started).Seconds(), p.Percent, rem, r.progressCalls, r.statusCalls, next, why)
	}}
	_, err := (waiter{r: logReader{t, r}, clock: c, statusTimeout: statusTimeout, finalReadTimeout: finalReadTimeout}).wait(t.Context(), req)
	t.Logf("end t=%.2f usable %.2f err %v calls %d+%d", c.now.Sub(r.started).Seconds(), r.usable().Seconds(), err, r.progressCalls, r.statusCalls)
}

type logReader struct {
	t *testing.T
	b *shapeBuild
}

func (l logReader) ImageProgress(ctx context.Context, a, b, c string) (compshare.Progress, error) {
	return l.b.ImageProgress(ctx, a, b, c)
}

func (l logReader) ImageStatus(ctx context.Context, a, b, c string) (compshare.ImageStatus, error) {
	st, err := l.b.ImageStatus(ctx, a, b, c)
	l.t.Logf("t=%7.2f status %s", l.b.clock.now.Sub(l.b.started).Seconds(), st.Status)
	return st, err
}
