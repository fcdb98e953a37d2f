package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

type report struct {
	date             time.Time
	loadAtStart      string // /proc/loadavg's 1, 5 and 15 min averages; "" when unknown
	terraformVersion string
	took             time.Duration
	waiting          waitOutcome
	failures         []*failCase
	plan             []*planCase
	scale            scaleResult
}

// target is one goal with what was measured against it.
type target struct {
	goal, measured string
	met            bool
}

// Targets of the waits on builds of minutes.
const (
	worstLagTarget        = 2 * time.Second
	medianLagTarget       = time.Second
	medianCallShareTarget = 0.6
)

func (r report) render() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Benchmarks")
	w("")
	w("Written by `make bench` (`go run ./cmd/compshare-bench`), which reproduces it from a clean clone in about eight minutes")
	w("(`-quick` for a shorter look). The real Terraform CLI runs the provider, built with `go build` and installed through")
	w("`dev_overrides`, against the API emulator (`internal/emulator`) inside the benchmark's process; nothing leaves the")
	w("machine. Figures vary from machine to machine. The benchmark never fails on a target, it reports it.")
	w("")
	w("- Date: %s", r.date.UTC().Format("2006-01-02 15:04 MST"))
	w("- CPU: %s, %d logical CPUs", cpuModel(), runtime.NumCPU())
	w("- Terraform v%s, %s; the benchmark took %v", r.terraformVersion, runtime.Version(), r.took.Round(time.Second))
	if r.loadAtStart != "" {
		w("- Load average at the start (1, 5, 15 min): %s (when it is above the number of CPUs, other work competed with", r.loadAtStart)
		w("  the benchmark and its lags are longer than on an idle machine)")
	}
	w("")
	r.renderWaiting(w)
	r.renderStatusLag(w)
	r.renderFailures(w)
	r.renderPlan(w)
	r.renderScale(w)

	w("## Targets")
	w("")
	w("| target | measured | result |")
	w("|---|---|---|")
	for _, t := range r.targets() {
		w("| %s | %s | %s |", t.goal, t.measured, passMiss(t.met))
	}
	return b.String()
}

func (r report) renderWaiting(w func(string, ...any)) {
	o := r.waiting
	durations := func(long bool) (n int, list string) {
		var totals []string
		for _, i := range o.forShape(emulator.ShapeStraight, estimateModes[0], long) {
			totals = append(totals, strconv.FormatFloat(o.builds[i].total.Seconds(), 'f', -1, 64))
		}
		return len(totals), strings.Join(totals, ", ") + " s"
	}
	runs, short := durations(false)
	longRuns, long := durations(true)
	w("## Waiting for builds of every shape")
	w("")
	w("Every progress shape and estimate of the emulator: %d builds of minutes of each, lasting %s, and %d short", longRuns, long, runs)
	w("builds, lasting %s (the ends fall at different phases of fixed polling), each waited for by one", short)
	w("`compshare_image_wait`. For each schedule, one `terraform plan -out` of all %d waits, then the builds start and", len(o.builds))
	w("`terraform apply -parallelism=%d` of the saved plan waits for all of them at once (request budget %d per second, so", 2*len(o.builds), benchBudget)
	w("that the waits never queue behind one another). The four applies run at once, started %v apart. The baselines go", stagger)
	w("through the same wait with `COMPSHARE_WAIT_SCHEDULE=fixed:Ns` (a benchmarking aid): only the progress polls are")
	w("fixed; the status lookups that notice failures and confirm `Available` are the provider's own.")
	w("")
	w("- **Shapes** (progress over the build): straight; chunks (0, 25, 50, 75 %%, a quarter of the time each, then 100);")
	w("  fast-start (1-(1-t)³); slow-start (t³); tail-99 (99 %% at 40 %% of the time, then nothing until the end); queued")
	w("  (0 %% for 30 %% of the time); pause (50 %% from 35 %% to 65 %% of the time).")
	w("- **Estimates** (`TotalDuration`, `RemainingDuration`): clock (true), clock x0.5 and x2 (off by that factor);")
	w("  extrapolate (elapsed x (100-p)/p, what a backend that only knows the progress says); stale (the clock's first")
	w("  answer, never updated); none (left out).")
	w("- **Lag**: from the moment the emulator lists the image as `Available` (here when progress reaches 100) to the")
	w("  wait's last request, the one after which it ends. Median / worst over the builds, in seconds.")
	w("- **Calls**: every API request the apply made for the image, progress and status, the apply-time re-plan's read")
	w("  included. Median / worst. The oracle knows the future: lag 0, and %d calls (the re-plan's read, then one progress", oracleCalls)
	w("  answer showing 100 and one status answer showing `Available`).")
	w("- **Tells**: the build tells when it ends: a true clock, or progress that moves during the last tenth.")
	w("")
	w("### Builds of minutes: the targets")
	w("")
	w("On every build no more calls than fixed 5-s polling, and on the median build at most %.1f of them. Lag: where", medianCallShareTarget)
	w("the build tells when it ends, median <= %v and worst <= %v; where it does not, worst no longer than fixed 5-s", medianLagTarget, worstLagTarget)
	w("polling's on the same builds. Builds under a minute are reported below, not targeted. Where the build does not")
	w("tell, both schedules call at the same 5-s pace once the calls saved have run out, so which of the two has the")
	w("longer worst lag over a cell's few builds is largely chance; `internal/imagewait`'s simulation checks that target")
	w("on 50 builds a cell.")
	w("")
	w("| shape | estimate | tells | ours: lag | ours: calls | fixed 5 s: lag | fixed 5 s: calls | ours / fixed 5 s calls, median | against the targets |")
	w("|---|---|---|--:|--:|--:|--:|--:|---|")
	for _, shape := range emulator.ShapeNames() {
		for _, e := range estimateModes {
			idx := o.forShape(shape, e, true)
			if len(idx) == 0 {
				continue
			}
			calls, lags := o.figures(0, idx)
			fCalls, fLags := o.figures(fixed5, idx)
			w("| %s | %s | %s | %s / %s | %d / %d | %s / %s | %d / %d | %.2f | %s |", shape, e.name, yesNo(tells(shape, e)),
				num(median(lags)), num(slices.Max(lags)), median(calls), slices.Max(calls),
				num(median(fLags)), num(slices.Max(fLags)), median(fCalls), slices.Max(fCalls), o.callShare(idx), o.verdict(shape, e, idx))
		}
	}
	w("")
	w("### Short builds: reported, not targeted")
	w("")
	head, rule := "| shape | estimate |", "|---|---|"
	for _, s := range waitSchedules {
		head += fmt.Sprintf(" %s: lag | %s: calls |", s.name, s.name)
		rule += "--:|--:|"
	}
	w("%s oracle: calls |", head)
	w("%s--:|", rule)
	for _, shape := range emulator.ShapeNames() {
		for _, e := range estimateModes {
			idx := o.forShape(shape, e, false)
			if len(idx) == 0 {
				continue
			}
			row := fmt.Sprintf("| %s | %s |", shape, e.name)
			for si := range waitSchedules {
				calls, lags := o.figures(si, idx)
				row += fmt.Sprintf(" %s / %s | %d / %d |", num(median(lags)), num(slices.Max(lags)), median(calls), slices.Max(calls))
			}
			w("%s %d |", row, oracleCalls)
		}
	}
	w("")
}

// tells reports whether builds of the shape and estimate tell when they end
// (buildshape.Build.Informs): the lag targets are tighter on them.
func tells(shape emulator.Shape, e estimateMode) bool {
	s, _ := buildshape.ShapeNamed(string(shape))
	return buildshape.Build{Shape: s, Estimate: buildshape.Estimate{Name: e.name}}.Informs()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (r report) renderStatusLag(w func(string, ...any)) {
	o := r.waiting
	w("## 100 %% while still Making")
	w("")
	w("Straight builds with a right clock whose progress reads 100 while `DescribeCompShareCustomImages` lists them as")
	w("`Making` for a while, then `Available`; %d of each, of the durations above, run with them. A data source that", len(o.forMaking(statusLags[0])))
	w("depends on the wait (`depends_on`) reads the API once the wait is over: its request shows when the dependent was")
	w("created. **Lag** and **calls** as above, median / worst (lag from `Available`).")
	w("")
	w("| Making for | schedule | lag | calls | dependent created, after `Available` (earliest) |")
	w("|--:|---|--:|--:|--:|")
	for _, making := range statusLags {
		idx := o.forMaking(making)
		for si, s := range waitSchedules {
			calls, lags := o.figures(si, idx)
			w("| %v | %s | %s / %s | %d / %d | %s s |", making, s.name, num(median(lags)), num(slices.Max(lags)),
				median(calls), slices.Max(calls), num(o.firstDependent(si, idx)))
		}
		w("| %v | oracle | 0.00 / 0.00 | %d / %d | 0.00 s |", making, oracleCalls, oracleCalls)
	}
	w("")
}

func (r report) renderFailures(w func(string, ...any)) {
	w("## Failed builds")
	w("")
	w("Builds that fail at a chosen moment: progress freezes where it is, and the status becomes `UnAvailable` (with a")
	w("`FailedReason`, or without) or `Offline`. One `compshare_image_wait` per build, default `max_poll_interval` (%v),", schedule.DefaultMaxInterval)
	w("each in its own `terraform plan -out` and `terraform apply`, the applies at once, started %v apart. The apply must", stagger/2)
	w("fail with an error that names the image and the reason. **Wait had run**: from the apply's first request for the image")
	w("to the failure. **Target**: max(%v, %d %% of that), and never more than `max_poll_interval` + %v. **Noticed**: from", noticeWithin, 100/noticeShare, noticeWithin)
	w("the failure to the status answer that showed it; **apply's error**: to the end of `terraform apply`, which is what the")
	w("target is checked on.")
	w("")
	w("| build | fails at | wait had run | target | noticed | apply's error | calls | result |")
	w("|---|--:|--:|--:|--:|--:|--:|---|")
	for _, c := range r.failures {
		w("| %s | %v of %v | %s s | %s s | %s s | %s s | %d | %s |", c.name, c.image.FailAt, c.image.Total, num(c.waitRan), num(c.target()),
			num(c.detected), num(c.errored), c.calls, passMiss(c.errored <= c.target()))
	}
	w("")
}

func (r report) renderPlan(w func(string, ...any)) {
	w("## Plan overhead")
	w("")
	w("`terraform plan` of 50 data sources against 50 built-in `terraform_data` resources (no provider at all), both")
	w("without state; %d timed runs each, interleaved, after one untimed run. With one image, the reads share API calls", len(r.plan[0].times))
	w("and the row shows what the provider and Terraform's handling of a plugin add. With 50 images, the request budget")
	w("(default 20 per second) makes the plan take at least 2.5 s by design; the last row lifts it.")
	w("")
	w("| configuration | median | fastest | ratio of medians |")
	w("|---|--:|--:|--:|")
	base := median(r.plan[0].times)
	for _, c := range r.plan {
		w("| %s | %s | %s | %.2f |", c.name, secs(median(c.times)), secs(slices.Min(c.times)), ratio(median(c.times), base))
	}
	w("")
}

func (r report) renderScale(w func(string, ...any)) {
	s := r.scale
	w("## 100 waits at once")
	w("")
	w("`terraform apply -parallelism=%d` of %d `compshare_image_wait` on %v builds that all end %v after apply starts,", scaleWaits, scaleWaits, scaleTotal, scaleEnd)
	w("with the provider's default settings (a budget of 20 requests per second, paced 10 %% below it).")
	w("")
	w("| figure | value |")
	w("|---|--:|")
	w("| API requests (plan, apply-time re-plan and waits) | %d |", s.calls)
	w("| peak requests within one second, seen by the emulator | %d |", s.peakRate)
	w("| apply finished after the images | %s |", secs(s.afterEnd))
	w("| apply took | %s |", secs(s.applyTook))
	w("| provider process peak RSS (VmHWM) | %.1f MiB |", mib(s.peakRSS))
	w("")
}

func (r report) targets() []target {
	o := r.waiting
	var ts []target
	var long []int
	lagMet, lagCells, silentMet, silentCells := 0, 0, 0, 0
	for _, shape := range emulator.ShapeNames() {
		for _, e := range estimateModes {
			idx := o.forShape(shape, e, true)
			if len(idx) == 0 {
				continue
			}
			long = append(long, idx...)
			if tells(shape, e) {
				lagCells++
				if o.lagMet(idx) {
					lagMet++
				}
			} else {
				silentCells++
				if o.silentLagMet(idx) {
					silentMet++
				}
			}
		}
	}
	if len(long) > 0 {
		share := o.callShare(long)
		ts = append(ts, o.callsTarget(longLabel, long),
			target{fmt.Sprintf("%s: the median build at most %.1f of fixed 5 s's calls", longLabel, medianCallShareTarget),
				fmt.Sprintf("%.2f", share), share <= medianCallShareTarget},
			target{fmt.Sprintf("%s that tell their end: median lag <= %v, worst <= %v, each shape and estimate", longLabel, medianLagTarget, worstLagTarget),
				fmt.Sprintf("%d of %d", lagMet, lagCells), lagMet == lagCells},
			target{longLabel + " that do not: worst lag no longer than fixed 5 s's, each shape and estimate",
				fmt.Sprintf("%d of %d", silentMet, silentCells), silentMet == silentCells})
	}
	var making []int
	for _, lag := range statusLags {
		making = append(making, o.forMaking(lag)...)
	}
	firstDependent := o.firstDependent(0, making)
	for si := range waitSchedules {
		firstDependent = min(firstDependent, o.firstDependent(si, making))
	}
	ts = append(ts, o.callsTarget("100 % while Making", making),
		target{"100 % while Making: the dependent is created only after `Available`, every schedule",
			fmt.Sprintf("earliest %s s after", num(firstDependent)), firstDependent >= 0})

	met, worst := 0, time.Duration(0)
	var worstCase *failCase
	for _, c := range r.failures {
		if c.errored <= c.target() {
			met++
		}
		if worstCase == nil || c.errored-c.target() > worstCase.errored-worstCase.target() {
			worstCase = c
		}
		worst = max(worst, c.errored)
	}
	ts = append(ts, target{
		fmt.Sprintf("failed build: apply's error within max(%v, %d %% of the wait) and `max_poll_interval` + %v, each build", noticeWithin, 100/noticeShare, noticeWithin),
		fmt.Sprintf("%d of %d; closest: %s s against %s s (%s)", met, len(r.failures), num(worstCase.errored), num(worstCase.target()), worstCase.name),
		met == len(r.failures)})

	base := median(r.plan[0].times)
	for _, c := range r.plan {
		if !c.dataSources {
			continue
		}
		q := ratio(median(c.times), base)
		ts = append(ts, target{"plan ratio <= 1.3: " + c.name, fmt.Sprintf("%.2f", q), q <= 1.3})
	}
	s := r.scale
	return append(ts,
		target{"100 waits: peak <= 20 requests per second", fmt.Sprint(s.peakRate), s.peakRate <= 20},
		target{"100 waits: apply finished <= 5 s after the images", secs(s.afterEnd), s.afterEnd <= 5*time.Second},
		target{fmt.Sprintf("100 waits: fewer than %d requests (before status lookups shared a page)", scaleCallsBefore), fmt.Sprint(s.calls), s.calls < scaleCallsBefore},
		target{"100 waits: provider RSS <= 60 MB", fmt.Sprintf("%.1f MiB", mib(s.peakRSS)), s.peakRSS <= 60<<20},
	)
}

// longLabel marks the figures of the builds of minutes.
const longLabel = "builds of minutes"

// forShape returns the indexes of the builds of a shape and estimate,
// builds of minutes or the shorter ones (without the status-lag builds).
func (o waitOutcome) forShape(shape emulator.Shape, e estimateMode, long bool) []int {
	var idx []int
	for i, bd := range o.builds {
		if bd.shape == shape && bd.estimate.name == e.name && bd.making == 0 && bd.long == long {
			idx = append(idx, i)
		}
	}
	return idx
}

// forMaking returns the indexes of the builds whose status stays Making
// that long after 100 %.
func (o waitOutcome) forMaking(making time.Duration) []int {
	var idx []int
	for i, bd := range o.builds {
		if bd.making == making {
			idx = append(idx, i)
		}
	}
	return idx
}

// firstDependent is the earliest moment, from Available, when a dependent
// of one of the builds idx read the API under schedule si.
func (o waitOutcome) firstDependent(si int, idx []int) time.Duration {
	var ds []time.Duration
	for _, i := range idx {
		ds = append(ds, o.results[si][i].dependent)
	}
	return slices.Min(ds)
}

// figures returns the calls and lags of schedule si on the builds idx.
func (o waitOutcome) figures(si int, idx []int) (calls []int, lags []time.Duration) {
	for _, i := range idx {
		calls, lags = append(calls, o.results[si][i].calls), append(lags, o.results[si][i].lag)
	}
	return calls, lags
}

// overFixed5 returns on how many of the builds idx ours made more calls than
// fixed 5-s polling, and the largest excess.
func (o waitOutcome) overFixed5(idx []int) (n, most int) {
	for _, i := range idx {
		if d := o.results[0][i].calls - o.results[fixed5][i].calls; d > 0 {
			n, most = n+1, max(most, d)
		}
	}
	return n, most
}

// verdict says whether ours met the targets on the builds of minutes idx of
// a shape and estimate, and if not, how.
func (o waitOutcome) verdict(shape emulator.Shape, e estimateMode, idx []int) string {
	_, lags := o.figures(0, idx)
	var misses []string
	switch {
	case tells(shape, e) && !o.lagMet(idx):
		misses = append(misses, fmt.Sprintf("lag median %s s, worst %s s", num(median(lags)), num(slices.Max(lags))))
	case !tells(shape, e) && !o.silentLagMet(idx):
		_, fLags := o.figures(fixed5, idx)
		misses = append(misses, fmt.Sprintf("worst lag %s s, fixed 5 s's %s s", num(slices.Max(lags)), num(slices.Max(fLags))))
	}
	if n, most := o.overFixed5(idx); n > 0 {
		misses = append(misses, fmt.Sprintf("more calls than fixed 5 s on %d of %d builds (up to +%d)", n, len(idx), most))
	}
	if len(misses) == 0 {
		return "PASS"
	}
	return "MISS: " + strings.Join(misses, "; ")
}

// lagMet reports whether ours met the lag targets of builds that tell their end.
func (o waitOutcome) lagMet(idx []int) bool {
	_, lags := o.figures(0, idx)
	return slices.Max(lags) <= worstLagTarget && median(lags) <= medianLagTarget
}

// silentLagMet reports whether ours saw the end no later than fixed 5-s
// polling at worst, on builds that do not tell their end.
func (o waitOutcome) silentLagMet(idx []int) bool {
	_, lags := o.figures(0, idx)
	_, fLags := o.figures(fixed5, idx)
	return slices.Max(lags) <= slices.Max(fLags)
}

// callShare is the median, over the builds idx, of ours' calls as a share of
// fixed 5-s polling's.
func (o waitOutcome) callShare(idx []int) float64 {
	var shares []float64
	for _, i := range idx {
		shares = append(shares, float64(o.results[0][i].calls)/float64(o.results[fixed5][i].calls))
	}
	slices.Sort(shares)
	return shares[len(shares)/2]
}

func (o waitOutcome) callsTarget(what string, idx []int) target {
	n, most := o.overFixed5(idx)
	measured := fmt.Sprintf("no more on all %d builds", len(idx))
	if n > 0 {
		measured = fmt.Sprintf("more on %d of %d builds, up to +%d", n, len(idx), most)
	}
	return target{what + ": no more calls than fixed 5 s on each build", measured, n == 0}
}

func passMiss(met bool) string {
	if met {
		return "PASS"
	}
	return "MISS"
}

// median of a non-empty list; the mean of the middle two for an even length.
func median[T int | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ratio(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }

func secs(d time.Duration) string { return num(d) + " s" }

// num is d in seconds with two decimals.
func num(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// loadAverage returns /proc/loadavg's three averages, or "".
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], ", ")
	}
	return ""
}

func cpuModel() string {
	info, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.Lines(string(info)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown " + runtime.GOARCH
}
