package imagewait

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
)

// leanBuild is a linear build on a fake clock that, unlike fakeBuild, keeps
// no history, so that the memory measured is the wait's own.
type leanBuild struct {
	now, start time.Time
	work       time.Duration
}

func (b *leanBuild) Now() time.Time { return b.now }

func (b *leanBuild) Sleep(_ context.Context, d time.Duration) { b.now = b.now.Add(d) }

func (b *leanBuild) ImageProgress(context.Context, string, string, string) (compshare.Progress, error) {
	total, left := b.work.Seconds(), max(0, (b.work-b.now.Sub(b.start)).Seconds())
	return compshare.Progress{Percent: 100 * (total - left) / total, TotalSeconds: &total, RemainingSeconds: &left}, nil
}

func (b *leanBuild) ImageStatus(context.Context, string, string, string) (compshare.ImageStatus, error) {
	if b.now.Sub(b.start) >= b.work {
		return compshare.ImageStatus{Status: "Available"}, nil
	}
	return compshare.ImageStatus{Status: "Making"}, nil
}

// TestMemoryConstantOverLongWait polls a long build about 200,000 times with
// the adaptive schedule (the max interval keeps its polls a second apart)
// and checks that the heap after 20,000 polls and at the end are about the
// same: neither the wait nor the schedule keeps a history.
func TestMemoryConstantOverLongWait(t *testing.T) {
	now := time.Now()
	b := &leanBuild{now: now, start: now, work: 200000 * time.Second}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	polls := 0
	var early, late uint64
	_, err := waiter{r: b, clock: b, statusTimeout: time.Second}.wait(t.Context(), Request{
		Region: region, Zone: zone, ImageID: imageID, Target: 100, MaxInterval: time.Second,
		OnPoll: func(compshare.Progress, time.Duration, string) {
			polls++
			switch polls {
			case 20000:
				early = heap()
			case 199000:
				late = heap()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if polls < 199000 {
		t.Fatalf("only %d polls", polls)
	}
	t.Logf("heap after 20,000 polls: %d B; after 199,000: %d B", early, late)
	if late > early+64<<10 {
		t.Fatalf("the heap grew by %d B over 179,000 polls", late-early)
	}
}
