package imagewait

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

// The simulations below wait, on a fake clock, for every build shape and
// estimate mode of internal/buildshape (what the API emulator serves) with
// the default schedule, and check the wait's targets on builds of minutes
// against fixed 5-s polling through the same wait, status lookups included:
// what COMPSHARE_WAIT_SCHEDULE=fixed:5s does, and the benchmark's baseline. Their figures are pinned in
// testdata/shapes.golden, which `go test -run TestShapeFigures -update`
// rewrites: a change of the schedule shows there as a readable diff.

// knownMisses are the targets missed today on builds of minutes, by target
// and cell, with why (none today); the target tests report them without
// failing, and fail when one is met (then it leaves this list).
var knownMisses = map[string]string{}

// checkTarget reports a missed target of cell c, unless it is a known miss,
// and a known miss that is met.
func checkTarget(t *testing.T, target string, c shapeCell, met bool, format string, args ...any) {
	t.Helper()
	key := target + ": " + c.String()
	reason, known := knownMisses[key]
	switch {
	case !met && known:
		t.Logf("known miss: %s: %s (%s)", key, fmt.Sprintf(format, args...), reason)
	case !met:
		t.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
	case known:
		t.Errorf("%s now meets its target: take it off knownMisses", key)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/shapes.golden from this run")

// The targets on builds of minutes (see the schedule's package documentation).
const (
	// Every build: no more calls (progress and status) than fixed 5-s polling.
	// The median build: at most this share of them.
	targetMedianCallShare = 0.6
	// Builds that tell when they end (buildshape.Build.Informs), per shape
	// and estimate mode: lag from usable to the wait's end.
	targetMedianLag = time.Second
	targetWorstLag  = 2 * time.Second
	// Builds that do not: a worst lag no longer than fixed 5-s polling's.
)

var (
	// Builds of minutes (3 to 60), the targets' range, and short builds
	// (20 s to 44.72 s in steps of 6.18 s, so that their ends fall at spread
	// phases of 5-s polling), which are only reported.
	minuteDurations = []time.Duration{3 * time.Minute, 5*time.Minute + 6180*time.Millisecond,
		12*time.Minute + 12360*time.Millisecond, 25 * time.Minute, time.Hour}
	shortDurations = []time.Duration{20 * time.Second, 26180 * time.Millisecond, 32360 * time.Millisecond,
		38540 * time.Millisecond, 44720 * time.Millisecond}
	// How long after the build started the wait starts: spread over 5 s, so
	// that the end falls at every phase of fixed polling.
	startPhases = []time.Duration{0, 1100 * time.Millisecond, 2200 * time.Millisecond, 3300 * time.Millisecond, 4400 * time.Millisecond}
	// How long the image stays Making after its progress reads 100 %.
	makingDelays = []time.Duration{0, 5 * time.Second, 30 * time.Second}
	// How long every call takes.
	latencies = []time.Duration{0, 100 * time.Millisecond}
)

// shapeBuild is a Reader serving a buildshape.Build on a fake clock, as the
// API emulator does: the build started before the wait, and is listed as
// Available making after its progress reaches 100 %.
type shapeBuild struct {
	clock                      *fakeClock
	started                    time.Time // when the build started
	build                      buildshape.Build
	making                     time.Duration
	latency                    time.Duration // every call takes this long
	progressCalls, statusCalls int
	statusAt                   []time.Duration // each status lookup, since the build started
}

func (b *shapeBuild) ImageProgress(context.Context, string, string, string) (compshare.Progress, error) {
	b.progressCalls++
	b.clock.now = b.clock.now.Add(b.latency)
	if b.progressCalls+b.statusCalls > maxFakeCalls {
		return compshare.Progress{}, errTooManyCalls
	}
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
	b.statusAt = append(b.statusAt, b.clock.now.Sub(b.started))
	if b.progressCalls+b.statusCalls > maxFakeCalls {
		return compshare.ImageStatus{}, errTooManyCalls
	}
	if b.clock.now.Sub(b.started) >= b.usable() {
		return compshare.ImageStatus{Status: compshare.StatusAvailable}, nil
	}
	return compshare.ImageStatus{Status: compshare.StatusMaking}, nil
}

// usable is when the image is listed as Available, since the build started.
func (b *shapeBuild) usable() time.Duration { return b.build.Duration + b.making }

type shapeRun struct {
	calls int           // progress and status
	lag   time.Duration // from the image being usable to the end of the wait
}

// waitShape waits with s (nil: the default schedule) for build b, which
// started phase before the wait, and is Available making after 100 %; it
// returns the build as served, its clock at the wait's end.
func waitShape(t *testing.T, s schedule.Schedule, b buildshape.Build, phase, making, latency time.Duration) *shapeBuild {
	t.Helper()
	c := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := &shapeBuild{clock: c, started: c.now.Add(-phase), build: b, making: making, latency: latency}
	req := Request{Region: region, Zone: zone, ImageID: imageID, Target: 100, Schedule: s}
	if _, err := (waiter{r: r, clock: c, statusTimeout: statusTimeout, finalReadTimeout: finalReadTimeout}).wait(t.Context(), req); err != nil {
		t.Fatalf("%v, phase %v: %v", b, phase, err)
	}
	return r
}

// lag is how long after the image became usable the wait ended.
func (b *shapeBuild) lag() time.Duration { return b.clock.now.Sub(b.started) - b.usable() }

// runShape is waitShape's calls and lag.
func runShape(t *testing.T, s schedule.Schedule, b buildshape.Build, phase, making, latency time.Duration) shapeRun {
	t.Helper()
	r := waitShape(t, s, b, phase, making, latency)
	return shapeRun{r.progressCalls + r.statusCalls, r.lag()}
}

// A fast-start build reads 99.99 % for the last 5 % of its time (15 s of 5
// minutes), where only a status lookup can see it end. The lookups wait for
// the earliest end the schedule predicted from the latest move, then come
// every confirmEvery: the wait ends within that of the end, with fewer
// lookups than one every confirmEvery through the plateau would make.
func TestPlateauLookupsWaitForThePredictedEnd(t *testing.T) {
	fastStart, _ := buildshape.ShapeNamed("fast-start")
	for _, est := range buildshape.Estimates {
		b := buildshape.Build{Shape: fastStart, Estimate: est, Duration: 5 * time.Minute}
		r := waitShape(t, nil, b, 0, 0, 0)
		plateau, lookups := b.Reaches(99.99), 0
		for _, at := range r.statusAt {
			if at >= plateau {
				lookups++
			}
		}
		if lag := r.lag(); lag < 0 || lag > confirmEvery {
			t.Errorf("%s: the wait ended %v after the build, want within %v (lookups at %v)", est.Name, lag, confirmEvery, r.statusAt)
		}
		if most := int((b.Duration-plateau)/confirmEvery) - 1; lookups > most {
			t.Errorf("%s: %d lookups at 99.99 %% (%v to %v), want at most %d (lookups at %v)", est.Name, lookups, plateau, b.Duration, most, r.statusAt)
		}
	}
}

// A build in four steps with a true API clock, at the start phases and call
// latencies of make bench's 5-minute builds: the last step's window opens
// about 10 s before the end, and polls every second from there ran out of
// calls before it (seen 3.5 s late). Dense polls no faster than the budget
// can keep up to the window's end see it within the target.
func TestLastStepKeepsCallsForTheEnd(t *testing.T) {
	chunks, _ := buildshape.ShapeNamed("chunks")
	for k := range 5 {
		b := buildshape.Build{Shape: chunks, Estimate: buildshape.Estimates[0], Duration: 300*time.Second + time.Duration(k)*6180*time.Millisecond}
		for phase := time.Duration(0); phase < schedule.BudgetInterval; phase += 100 * time.Millisecond {
			for _, latency := range []time.Duration{5 * time.Millisecond, 50 * time.Millisecond} {
				if r := runShape(t, nil, b, phase, 0, latency); r.lag < 0 || r.lag > targetWorstLag {
					t.Errorf("%v, phase %v, latency %v: the wait ended %v after the build, want within %v", b.Duration, phase, latency, r.lag, targetWorstLag)
				}
			}
		}
	}
}

// shapeCell is one shape, estimate mode and delay to Available, over every
// duration, start phase and call latency of one class of builds.
type shapeCell struct {
	shape, estimate string
	making          time.Duration
	minutes         bool // builds of minutes, else short builds
	informs         bool // buildshape.Build.Informs, and Available with 100 %
}

func (c shapeCell) String() string {
	if c.estimate == "" {
		return c.shape
	}
	return fmt.Sprintf("%s/%s/Making %v", c.shape, c.estimate, c.making)
}

// shapeFigures are the runs of one cell, ours and fixed 5-s polling's.
type shapeFigures struct {
	ours, fixed []shapeRun
	names       []string
}

// callShares returns, sorted, each build's calls as a share of fixed 5-s polling's.
func (f *shapeFigures) callShares() []float64 {
	shares := make([]float64, len(f.ours))
	for i := range f.ours {
		shares[i] = float64(f.ours[i].calls) / float64(f.fixed[i].calls)
	}
	slices.Sort(shares)
	return shares
}

func lags(runs []shapeRun) []time.Duration {
	l := make([]time.Duration, len(runs))
	for i, r := range runs {
		l[i] = r.lag
	}
	slices.Sort(l)
	return l
}

func median[T any](s []T) T { return s[len(s)/2] }
func worst[T any](s []T) T  { return s[len(s)-1] }

var (
	shapesOnce    sync.Once
	shapesCells   []shapeCell
	shapesFigures map[shapeCell]*shapeFigures
)

// simulatedShapes runs every build once per test binary.
func simulatedShapes(t *testing.T) ([]shapeCell, map[shapeCell]*shapeFigures) {
	t.Helper()
	shapesOnce.Do(func() {
		shapesFigures = map[shapeCell]*shapeFigures{}
		for _, minutes := range []bool{true, false} {
			durations := minuteDurations
			if !minutes {
				durations = shortDurations
			}
			for _, shape := range buildshape.Shapes {
				for _, est := range buildshape.Estimates {
					for _, making := range makingDelays {
						b := buildshape.Build{Shape: shape, Estimate: est}
						cell := shapeCell{shape.Name, est.Name, making, minutes, b.Informs() && making == 0}
						f := &shapeFigures{}
						shapesCells, shapesFigures[cell] = append(shapesCells, cell), f
						for _, d := range durations {
							b.Duration = d
							for _, phase := range startPhases {
								for _, latency := range latencies {
									f.ours = append(f.ours, runShape(t, nil, b, phase, making, latency))
									f.fixed = append(f.fixed, runShape(t, schedule.NewFixed(5*time.Second), b, phase, making, latency))
									f.names = append(f.names, fmt.Sprintf("%v/%v/phase %v/latency %v", cell, d, phase, latency))
								}
							}
						}
					}
				}
			}
		}
	})
	return shapesCells, shapesFigures
}

// Target: on every build of minutes, no more calls, progress and status
// together, than fixed 5-s polling makes through the same wait.
func TestTargetNoMoreCallsThanFixedPolling(t *testing.T) {
	cells, figures := simulatedShapes(t)
	for _, c := range cells {
		f := figures[c]
		if !c.minutes {
			continue
		}
		over := 0
		for i := range f.ours {
			if f.ours[i].calls > f.fixed[i].calls {
				over++
				t.Logf("%s: %d calls, fixed 5-s polling %d", f.names[i], f.ours[i].calls, f.fixed[i].calls)
			}
		}
		checkTarget(t, "calls", c, over == 0, "%d of %d builds with more calls than fixed 5-s polling", over, len(f.ours))
	}
}

// Target: on the median build of minutes, at most 0.6 of fixed 5-s polling's calls.
func TestTargetMedianCallShare(t *testing.T) {
	cells, figures := simulatedShapes(t)
	var shares []float64
	for _, c := range cells {
		if c.minutes {
			shares = append(shares, figures[c].callShares()...)
		}
	}
	slices.Sort(shares)
	m := median(shares)
	checkTarget(t, "median calls", shapeCell{shape: "median"}, m <= targetMedianCallShare,
		"median build of minutes: %.2f of fixed 5-s polling's calls, want at most %.2f", m, targetMedianCallShare)
}

// Target: on builds of minutes that tell when they end, a lag of at most
// 1 s on the median build and 2 s on the worst, for every shape and
// estimate mode.
func TestTargetLagWhereTheBuildTells(t *testing.T) {
	cells, figures := simulatedShapes(t)
	for _, c := range cells {
		if !c.minutes || !c.informs {
			continue
		}
		l := lags(figures[c].ours)
		checkTarget(t, "lag", c, median(l) <= targetMedianLag && worst(l) <= targetWorstLag && l[0] >= 0,
			"lag median %v, worst %v; want at most %v, %v", median(l), worst(l), targetMedianLag, targetWorstLag)
	}
}

// Target: on builds of minutes that do not tell when they end (a long stay
// at 99 % without a true clock, a delay to Available), a worst lag no longer
// than fixed 5-s polling's on the same builds.
func TestTargetLagWhereTheBuildIsSilent(t *testing.T) {
	cells, figures := simulatedShapes(t)
	for _, c := range cells {
		if !c.minutes || c.informs {
			continue
		}
		l, fl := lags(figures[c].ours), lags(figures[c].fixed)
		checkTarget(t, "silent lag", c, worst(l) <= worst(fl) && l[0] >= 0, "worst lag %v, fixed 5-s polling's %v", worst(l), worst(fl))
	}
}

// TestShapeFigures pins the figures of every cell, builds of minutes and
// short builds (which have no targets), in testdata/shapes.golden; -update
// rewrites it.
func TestShapeFigures(t *testing.T) {
	cells, figures := simulatedShapes(t)
	var b strings.Builder
	for _, minutes := range []bool{true, false} {
		if minutes {
			b.WriteString("# Builds of minutes (3 to 60 min): targets hold\n")
		} else {
			b.WriteString("\n# Short builds (20 to 45 s): reported, not targeted\n")
		}
		b.WriteString("shape | estimate | Making | tells | calls / 5-s median, worst | lag median, worst (s) | 5-s lag median, worst (s)\n")
		for _, c := range cells {
			if c.minutes != minutes {
				continue
			}
			f := figures[c]
			shares, l, fl := f.callShares(), lags(f.ours), lags(f.fixed)
			fmt.Fprintf(&b, "%s | %s | %v | %v | %.2f, %.2f | %.2f, %.2f | %.2f, %.2f\n", c.shape, c.estimate, c.making, c.informs,
				median(shares), worst(shares), median(l).Seconds(), worst(l).Seconds(), median(fl).Seconds(), worst(fl).Seconds())
		}
	}
	var shares []float64
	for _, c := range cells {
		if c.minutes {
			shares = append(shares, figures[c].callShares()...)
		}
	}
	slices.Sort(shares)
	fmt.Fprintf(&b, "\nMedian build of minutes: %.2f of fixed 5-s polling's calls\n", median(shares))
	golden := filepath.Join("testdata", "shapes.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run TestShapeFigures -update writes it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("the figures differ from %s (go test -run TestShapeFigures -update rewrites it); got:\n%s", golden, got)
	}
}
