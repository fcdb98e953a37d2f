package imagewait

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// shapeBuild is a Reader serving a buildshape.Build on a fake clock, as the
// API emulator does: the build started phase before the wait, and is listed
// as Available making after its progress reaches 100 %.
type shapeBuild struct {
	clock                      *fakeClock
	started                    time.Time // when the build started
	build                      buildshape.Build
	making                     time.Duration
	latency                    time.Duration // every call takes this long
	progressCalls, statusCalls int
}

func (b *shapeBuild) ImageProgress(context.Context, string, string, string) (compshare.Progress, error) {
	b.progressCalls++
	b.clock.now = b.clock.now.Add(b.latency)
	a := b.build.At(b.clock.now.Sub(b.started))
	p := compshare.Progress{Percent: a.Percent}
	if a.Estimated {
		p.TotalSeconds, p.RemainingSeconds = &a.Total, &a.Remaining
	}
	return p, nil
}

func (b *shapeBuild) ImageStatus(context.Context, string, string, string) (compshare.ImageStatus, error) {
	b.statusCalls++
	b.clock.now = b.clock.now.Add(b.latency)
	if b.clock.now.Sub(b.started) >= b.usable() {
		return compshare.ImageStatus{Status: compshare.StatusAvailable}, nil
	}
	return compshare.ImageStatus{Status: compshare.StatusMaking}, nil
}

// usable is when the image is listed as Available, since the build started.
func (b *shapeBuild) usable() time.Duration { return b.build.Duration + b.making }

type shapeRun struct {
	progress, status int
	lag              time.Duration // from the image being usable to the end of the wait
}

func (r shapeRun) calls() int { return r.progress + r.status }

// runShape waits with s (nil: the default schedule) for build b, which
// started phase before the wait, and is Available making after 100 %.
func runShape(t *testing.T, s schedule.Schedule, b buildshape.Build, phase, making, latency time.Duration) shapeRun {
	t.Helper()
	c := &fakeClock{now: time.Now()}
	r := &shapeBuild{clock: c, started: c.now.Add(-phase), build: b, making: making, latency: latency}
	req := Request{Region: region, Zone: zone, ImageID: imageID, Target: 100, Schedule: s}
	if _, err := (waiter{r: r, clock: c, statusTimeout: statusTimeout, finalReadTimeout: finalReadTimeout}).wait(context.Background(), req); err != nil {
		t.Fatalf("%v, phase %v: %v", b, phase, err)
	}
	return shapeRun{r.progressCalls, r.statusCalls, c.now.Sub(r.started) - r.usable()}
}

var (
	// The benchmark's builds: short ones (20 s to 44.72 s in steps of 6.18 s,
	// so that their ends fall at spread phases of 5-s polling) and builds of
	// minutes.
	shortDurations = []time.Duration{20 * time.Second, 26180 * time.Millisecond, 32360 * time.Millisecond,
		38540 * time.Millisecond, 44720 * time.Millisecond}
	longDurations = []time.Duration{300 * time.Second, 306180 * time.Millisecond}
	// How long after the build started the wait starts: every 500 ms over
	// 5 s, so that the end falls at every phase of fixed polling.
	startPhases = func() (phases []time.Duration) {
		for p := time.Duration(0); p < 5*time.Second; p += 500 * time.Millisecond {
			phases = append(phases, p)
		}
		return phases
	}()
	// How long the image stays Making after its progress reads 100 %.
	makingDelays = []time.Duration{0, 5 * time.Second, 30 * time.Second}
)

// shapeCell is one shape, build length and delay to Available, over every
// estimate mode, start phase and call latency.
type shapeCell struct {
	shape  string
	long   bool
	making time.Duration
}

type shapeFigures struct {
	builds, over, most int             // builds; builds with more calls than fixed 5-s; most calls over
	lags, fixedLags    []time.Duration // sorted
}

func (f shapeFigures) median() time.Duration      { return f.lags[len(f.lags)/2] }
func (f shapeFigures) worst() time.Duration       { return f.lags[len(f.lags)-1] }
func (f shapeFigures) fixedMedian() time.Duration { return f.fixedLags[len(f.fixedLags)/2] }
func (f shapeFigures) fixedWorst() time.Duration  { return f.fixedLags[len(f.fixedLags)-1] }

// simulateShapes waits for every build shape and estimate mode, short builds
// and builds of minutes, at several start phases and delays to Available,
// with the default schedule and with fixed 5-s polling through the same wait
// (the benchmark's baseline: the status lookups are the wait's own), with
// calls that take no time and calls that take 100 ms.
func simulateShapes(t *testing.T) (map[shapeCell]*shapeFigures, []shapeCell) {
	figures, cells := map[shapeCell]*shapeFigures{}, []shapeCell(nil)
	for _, shape := range buildshape.Shapes {
		for _, long := range []bool{false, true} {
			durations := shortDurations
			if long {
				durations = longDurations
			}
			for _, making := range makingDelays {
				cell := shapeCell{shape.Name, long, making}
				f := &shapeFigures{}
				figures[cell], cells = f, append(cells, cell)
				for _, est := range buildshape.Estimates {
					for _, d := range durations {
						for _, phase := range startPhases {
							for _, latency := range []time.Duration{0, 100 * time.Millisecond} {
								b := buildshape.Build{Shape: shape, Estimate: est, Duration: d}
								ours := runShape(t, nil, b, phase, making, latency)
								fixed := runShape(t, schedule.NewFixed(5*time.Second), b, phase, making, latency)
								f.builds++
								if extra := ours.calls() - fixed.calls(); extra > 0 {
									f.over++
									f.most = max(f.most, extra)
									t.Logf("%s/%s/%v/Making %v/phase %v/latency %v: %d calls (%d progress, %d status), fixed 5-s %d (%d, %d)",
										shape.Name, est.Name, d, making, phase, latency, ours.calls(), ours.progress, ours.status,
										fixed.calls(), fixed.progress, fixed.status)
								}
								f.lags, f.fixedLags = append(f.lags, ours.lag), append(f.fixedLags, fixed.lag)
							}
						}
					}
				}
				slices.Sort(f.lags)
				slices.Sort(f.fixedLags)
			}
		}
	}
	return figures, cells
}

// shapeToday is what the wait achieved on a cell when this simulation was
// written: lag bounds (ms, rounded to 10 ms) that it must keep, and the
// builds on which it made more calls than fixed 5-s polling, the goal it
// misses still (see TestCallsAndLagOnShapes).
type shapeToday struct {
	medianMS, worstMS int
	over, most        int // builds over fixed 5-s polling's calls, of 240 (long) or 600 (short); most calls over
}

var shapesToday = map[shapeCell]shapeToday{
	{"straight", false, 0}:                  {250, 1750, 12, 1},
	{"straight", false, 5 * time.Second}:    {410, 1200, 282, 4},
	{"straight", false, 30 * time.Second}:   {6270, 7420, 64, 1},
	{"straight", true, 0}:                   {140, 550, 0, 0},
	{"straight", true, 5 * time.Second}:     {580, 1120, 0, 0},
	{"straight", true, 30 * time.Second}:    {1050, 1590, 0, 0},
	{"chunks", false, 0}:                    {1590, 5080, 171, 2},
	{"chunks", false, 5 * time.Second}:      {520, 1220, 308, 4},
	{"chunks", false, 30 * time.Second}:     {2580, 7440, 172, 2},
	{"chunks", true, 0}:                     {500, 1170, 0, 0},
	{"chunks", true, 5 * time.Second}:       {500, 1120, 0, 0},
	{"chunks", true, 30 * time.Second}:      {2320, 7350, 0, 0},
	{"fast-start", false, 0}:                {2080, 5080, 238, 2},
	{"fast-start", false, 5 * time.Second}:  {500, 1220, 258, 5},
	{"fast-start", false, 30 * time.Second}: {2650, 7440, 227, 2},
	{"fast-start", true, 0}:                 {490, 1160, 151, 15},
	{"fast-start", true, 5 * time.Second}:   {560, 1210, 182, 16},
	{"fast-start", true, 30 * time.Second}:  {6270, 7440, 161, 16},
	{"slow-start", false, 0}:                {960, 3350, 186, 2},
	{"slow-start", false, 5 * time.Second}:  {500, 1220, 328, 5},
	{"slow-start", false, 30 * time.Second}: {1770, 7440, 189, 3},
	{"slow-start", true, 0}:                 {250, 580, 0, 0},
	{"slow-start", true, 5 * time.Second}:   {680, 1170, 0, 0},
	{"slow-start", true, 30 * time.Second}:  {500, 1570, 0, 0},
	{"tail-99", false, 0}:                   {1820, 5080, 187, 2},
	{"tail-99", false, 5 * time.Second}:     {500, 1220, 275, 4},
	{"tail-99", false, 30 * time.Second}:    {2750, 7440, 205, 2},
	{"tail-99", true, 0}:                    {3300, 5010, 159, 17},
	{"tail-99", true, 5 * time.Second}:      {500, 1180, 170, 15},
	{"tail-99", true, 30 * time.Second}:     {3370, 7400, 158, 15},
	{"queued", false, 0}:                    {250, 4000, 142, 1},
	{"queued", false, 5 * time.Second}:      {500, 1260, 401, 5},
	{"queued", false, 30 * time.Second}:     {6260, 7470, 223, 2},
	{"queued", true, 0}:                     {150, 1050, 0, 0},
	{"queued", true, 5 * time.Second}:       {530, 1040, 0, 0},
	{"queued", true, 30 * time.Second}:      {990, 1510, 0, 0},
	{"pause", false, 0}:                     {650, 4940, 128, 2},
	{"pause", false, 5 * time.Second}:       {510, 1220, 276, 5},
	{"pause", false, 30 * time.Second}:      {4400, 7520, 143, 2},
	{"pause", true, 0}:                      {140, 1040, 0, 0},
	{"pause", true, 5 * time.Second}:        {450, 1120, 0, 0},
	{"pause", true, 30 * time.Second}:       {1200, 7310, 0, 0},
}

// TestCallsAndLagOnShapes holds the wait to its lags on every cell, and
// reports the builds on which it makes more calls than fixed 5-s polling
// through the same wait. Those are only held not to grow: the schedule's call
// budget counts its polls only, and the wait adds status lookups on top —
// every max(10 s, 10 % of the wait) while the schedule sleeps (up to the
// max interval, when its estimate is trusted) and before polls from
// 99.5 % — so that the calls the schedule saves early and spends near the
// end were partly spent already (fast-start and tail-99 builds of minutes
// most of all). Counting those lookups in the budget ends the overruns but
// makes the lags several times worse.
func TestCallsAndLagOnShapes(t *testing.T) {
	figures, cells := simulateShapes(t)
	table := []string{"shape | length | Making | builds over 5-s, most | lag median / worst | 5-s lag median / worst"}
	for _, c := range cells {
		f := figures[c]
		length := "short"
		if c.long {
			length = "long"
		}
		table = append(table, fmt.Sprintf("%s | %s | %v | %d/%d, +%d | %.2f / %.2f | %.2f / %.2f", c.shape, length, c.making,
			f.over, f.builds, f.most, f.median().Seconds(), f.worst().Seconds(), f.fixedMedian().Seconds(), f.fixedWorst().Seconds()))
	}
	t.Log("\n" + strings.Join(table, "\n"))
	for _, c := range cells {
		f, today := figures[c], shapesToday[c]
		median, worst := time.Duration(today.medianMS)*time.Millisecond, time.Duration(today.worstMS)*time.Millisecond
		if f.median() > median+5*time.Millisecond || f.worst() > worst+5*time.Millisecond {
			t.Errorf("%+v: lag median %v, worst %v; want at most %v, %v", c, f.median(), f.worst(), median, worst)
		}
		if f.over > today.over || f.most > today.most {
			t.Errorf("%+v: %d builds (at most +%d) with more calls than fixed 5-s polling; were %d (+%d)", c, f.over, f.most, today.over, today.most)
		}
	}
}
