package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/settings"
)

const (
	// Build r of each kind lasts shortestBuild + r*buildStep: steps of
	// 10 s / golden ratio, so that the ends fall at well spread phases of
	// 5-s and 10-s polling whatever the number of runs (20, 26.18, 32.36,
	// 38.54 and 44.72 s for 5 runs: 0, 1.18, 2.36, 3.54 and 4.72 s into a
	// 5-s period).
	shortestBuild = 20 * time.Second
	buildStep     = 6180 * time.Millisecond
	// longBuild is the shortest of the builds of minutes, as real ones are:
	// the schedule's goals hold on those for every shape but a long stay at
	// 99 % (internal/schedule's shape test), and this shows it end to end.
	longBuild = 5 * time.Minute
	// stagger separates the starts of concurrent applies, so that their
	// Terraform processes do not all compete for the CPU at once.
	stagger = 3 * time.Second
	// benchBudget is the request budget of the applies of many builds: high
	// enough that their waits never queue behind each other. The default
	// budget is measured by the 100 waits.
	benchBudget = 1000
	// oracleCalls is what a wait that knew the future would make in an
	// apply: the apply-time re-plan's read, then, the moment the image is
	// usable, one progress answer showing 100 and one status answer
	// showing Available.
	oracleCalls = 3
)

// waitSchedules are the schedules compared, set through COMPSHARE_WAIT_SCHEDULE.
var waitSchedules = []struct{ name, env string }{
	{"ours", "adaptive"},
	{"fixed 1 s", "fixed:1s"},
	{"fixed 5 s", "fixed:5s"},
	{"fixed 10 s", "fixed:10s"},
}

// fixed5 is the index in waitSchedules of the baseline whose calls ours must not exceed.
const fixed5 = 2

// estimateMode is one way the API estimates a build's duration.
type estimateMode struct {
	name   string
	mode   emulator.EstimateMode
	factor float64 // of the clock; 0 means 1
}

var estimateModes = []estimateMode{
	{"clock", emulator.EstimateClock, 1},
	{"clock x0.5", emulator.EstimateClock, 0.5},
	{"clock x2", emulator.EstimateClock, 2},
	{"extrapolate", emulator.EstimateExtrapolate, 0},
	{"stale", emulator.EstimateStale, 0},
	{"none", emulator.EstimateNone, 0},
}

// statusLags are how long the status stays Making after progress reads 100,
// on straight builds with a right clock.
var statusLags = []time.Duration{5 * time.Second, 30 * time.Second}

// build is one image build that every schedule waits for, alike.
type build struct {
	id       string
	shape    emulator.Shape
	estimate estimateMode
	total    time.Duration // true duration
	making   time.Duration // the status stays Making this long after 100 %
	long     bool          // one of the builds of longBuild or more
}

// image is the emulator image of the build, starting at start.
func (b build) image(start time.Time) emulator.Image {
	return emulator.Image{ID: b.id, Start: start, Total: b.total, Shape: b.shape,
		Estimate: b.estimate.mode, EstimateFactor: b.estimate.factor, AvailableAfter: b.making}
}

// marker is the id of the image a data source that depends on the wait of a
// status-lag build reads: its request tells when the dependent was created.
func (b build) marker() string { return b.id + "-dependent" }

// waitResult is what one apply of a schedule shows of one build.
type waitResult struct {
	calls int           // API requests the apply made for the image
	lag   time.Duration // from the moment the image is usable to the wait's last request
	// dependent is when the dependent of a status-lag build read the API,
	// from the moment the image is usable; negative means before it.
	dependent time.Duration
}

// waitOutcome is the result of all builds for every schedule.
type waitOutcome struct {
	builds  []build
	results [][]waitResult // [schedule][build]
}

// makeBuilds lists every shape x estimate, runs times with different
// durations from shortestBuild and longRuns times from longBuild, then the
// status-lag builds, runs times.
func makeBuilds(runs, longRuns int) []build {
	var bs []build
	for si, shape := range emulator.ShapeNames() {
		for ei, e := range estimateModes {
			for r := range runs {
				bs = append(bs, build{id: fmt.Sprintf("compshareImage-s%d-e%d-r%d", si, ei, r), shape: shape, estimate: e,
					total: shortestBuild + time.Duration(r)*buildStep})
			}
			for r := range longRuns {
				bs = append(bs, build{id: fmt.Sprintf("compshareImage-s%d-e%d-long%d", si, ei, r), shape: shape, estimate: e,
					total: longBuild + time.Duration(r)*buildStep, long: true})
			}
		}
	}
	for i, lag := range statusLags {
		for r := range runs {
			bs = append(bs, build{id: fmt.Sprintf("compshareImage-making%d-r%d", i, r), shape: emulator.ShapeStraight, estimate: estimateModes[0],
				total: shortestBuild + time.Duration(r)*buildStep, making: lag})
		}
	}
	return bs
}

// waiting applies the waits of all builds once per schedule, the applies
// at once, staggered.
func (b *bench) waiting(ctx context.Context, runs, longRuns int) (waitOutcome, error) {
	out := waitOutcome{builds: makeBuilds(runs, longRuns), results: make([][]waitResult, len(waitSchedules))}
	errs := make([]error, len(waitSchedules))
	var wg sync.WaitGroup
	for i, s := range waitSchedules {
		wg.Go(func() {
			if !sleep(ctx, time.Duration(i)*stagger) {
				errs[i] = ctx.Err()
				return
			}
			out.results[i], errs[i] = b.applyBuilds(ctx, s.name, s.env, out.builds)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// applyBuilds plans a wait for each build, starts the builds, and applies
// the saved plan under the named schedule; only the apply's requests count.
func (b *bench) applyBuilds(ctx context.Context, name, schedule string, builds []build) ([]waitResult, error) {
	// Each wait in a zone of its own: status lookups of one zone close
	// together share a call that names no image (the 100 waits measure
	// that), while here every request of a wait must name its image.
	zones := make([]string, len(builds))
	for i := range builds {
		zones[i] = fmt.Sprintf("%s-%03d", settings.DefaultRegion, i+1)
	}
	var images []emulator.Image
	for i, bd := range builds {
		images = append(images, emulator.Image{ID: bd.id, Zone: zones[i], Total: time.Hour}) // for the plan
		if bd.making > 0 {
			images = append(images, emulator.Image{ID: bd.marker()})
		}
	}
	log := &requestLog{}
	srv, err := emulator.Start(emulator.Config{PublicKey: b.publicKey, PrivateKey: b.privateKey, Images: images, ExtraZones: zones, OnRequest: log.add})
	if err != nil {
		return nil, err
	}
	defer func() { _ = srv.Close() }()
	var config strings.Builder
	config.WriteString(providerBlock(srv.URL(), fmt.Sprintf("max_requests_per_second = %d", benchBudget)))
	for i, bd := range builds {
		fmt.Fprintf(&config, "resource \"compshare_image_wait\" \"b%d\" {\n  image_id = %q\n  zone     = %q\n}\n", i, bd.id, zones[i])
		if bd.making > 0 {
			fmt.Fprintf(&config, "data \"compshare_image_progress\" \"after%d\" {\n  image_id   = %q\n  depends_on = [compshare_image_wait.b%d]\n}\n", i, bd.marker(), i)
		}
	}
	dir, err := b.configDir("wait-"+strings.NewReplacer(" ", "", ":", "").Replace(schedule), config.String())
	if err != nil {
		return nil, err
	}
	env := []string{"COMPSHARE_WAIT_SCHEDULE=" + schedule}
	if _, err := b.tf(ctx, dir, env, "plan", "-input=false", "-out=tfplan"); err != nil {
		return nil, err
	}

	longest := slices.MaxFunc(builds, func(x, y build) int { return int(x.total + x.making - y.total - y.making) })
	progressf("waiting, %s: %d builds of every shape and estimate, the longest %v", name, len(builds), longest.total+longest.making)
	start := time.Now()
	for i, bd := range builds {
		img := bd.image(start)
		img.Zone = zones[i]
		srv.SetImage(img)
	}
	log.start()
	if _, err := b.tf(ctx, dir, env, "apply", "-input=false", fmt.Sprintf("-parallelism=%d", 2*len(builds)), "tfplan"); err != nil {
		return nil, err
	}
	byImage := log.byImage()
	results := make([]waitResult, len(builds))
	for i, bd := range builds {
		reqs := byImage[bd.id]
		usable, ok := srv.UsableAt(bd.id)
		if len(reqs) == 0 || !ok {
			return nil, fmt.Errorf("%s: no request for image %s, or it never became usable", name, bd.id)
		}
		results[i] = waitResult{calls: len(reqs), lag: reqs[len(reqs)-1].Time.Sub(usable)}
		if bd.making > 0 {
			marks := byImage[bd.marker()]
			if len(marks) == 0 {
				return nil, fmt.Errorf("%s: the dependent of image %s never read the API", name, bd.id)
			}
			results[i].dependent = marks[0].Time.Sub(usable)
		}
	}
	return results, nil
}

// requestLog keeps the emulator's requests from start on, without the
// emulator's bound on its own log.
type requestLog struct {
	mu       sync.Mutex
	counting bool
	reqs     []emulator.Request
}

func (l *requestLog) add(r emulator.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counting {
		l.reqs = append(l.reqs, r)
	}
}

func (l *requestLog) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counting = true
}

// byImage returns the requests kept so far by image id, in arrival order.
func (l *requestLog) byImage() map[string][]emulator.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string][]emulator.Request{}
	for _, r := range l.reqs {
		m[r.ImageID] = append(m[r.ImageID], r)
	}
	for _, rs := range m {
		slices.SortFunc(rs, func(a, b emulator.Request) int { return a.Time.Compare(b.Time) })
	}
	return m
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
