package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

type report struct {
	date             time.Time
	terraformVersion string
	took             time.Duration
	waiting          []*waitCase
	plan             []*planCase
	scale            scaleResult
}

// target is one goal of issue 5 with what was measured against it.
type target struct {
	goal, measured string
	met            bool
}

func (r report) render() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Benchmarks")
	w("")
	w("Written by `make bench` (`go run ./cmd/compshare-bench`), which reproduces it from a clean clone in about five minutes.")
	w("The real Terraform CLI runs the provider, built with `go build` and installed through `dev_overrides`, against the")
	w("API emulator (`internal/emulator`) inside the benchmark's process; nothing leaves the machine. Figures vary from")
	w("machine to machine; the targets are those of issue 5. The benchmark never fails on a target, it reports it.")
	w("")
	w("- Date: %s", r.date.UTC().Format("2006-01-02 15:04 MST"))
	w("- CPU: %s, %d logical CPUs", cpuModel(), runtime.NumCPU())
	w("- Terraform v%s, %s; the benchmark took %v", r.terraformVersion, runtime.Version(), r.took.Round(time.Second))
	w("")

	w("## Waiting for a 24-second build")
	w("")
	w("One `compshare_image_wait` per run: `terraform plan -out`, then the build (re)starts and `terraform apply` of the saved")
	w("plan waits for it. The API's estimate (`TotalDuration`) is right, 0.6x or 1.6x of the true 24 s. The baselines run")
	w("through the same `schedule.Schedule` interface (`COMPSHARE_WAIT_SCHEDULE=fixed:5s`, a benchmarking aid).")
	w("**Calls**: API requests made by the apply (Terraform's apply-time re-plan reads the image once; the wait's first")
	w("poll reuses that answer). **Lag**: from the emulator's moment of completion to the first answer showing 100 %%.")
	if n := len(r.waiting[0].runs); n > 1 {
		w("Each row: %d runs, the build started 0 to %v before apply in even steps, so that fixed intervals meet the end",
			n, (fixedCycle * time.Duration(n-1) / time.Duration(n)).Round(100*time.Millisecond))
		w("at different phases. The %d applies of each run go at once, started %v apart.", len(r.waiting), stagger)
	}
	w("")
	w("| schedule | API estimate | calls, median | calls, worst | lag, median | lag, worst |")
	w("|---|---|--:|--:|--:|--:|")
	for _, c := range r.waiting {
		calls, lags := c.figures()
		w("| %s | %s | %d | %d | %s | %s |", c.schedule, c.estimate, median(calls), slices.Max(calls), secs(median(lags)), secs(slices.Max(lags)))
	}
	w("| oracle (computed) | any | 1 | 1 | %s | %s |", secs(0), secs(0))
	w("")

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

	s := r.scale
	w("## 100 waits at once")
	w("")
	w("`terraform apply -parallelism=%d` of %d `compshare_image_wait` on %v builds that all end %v after apply starts,", scaleWaits, scaleWaits, scaleTotal, scaleEnd)
	w("with the provider's default settings (a budget of 20 requests per second, paced 5 %% below it).")
	w("")
	w("| figure | value |")
	w("|---|--:|")
	w("| API requests (plan, apply-time re-plan and waits) | %d |", s.calls)
	w("| peak requests within one second, seen by the emulator | %d |", s.peakRate)
	w("| apply finished after the images | %s |", secs(s.afterEnd))
	w("| apply took | %s |", secs(s.applyTook))
	w("| provider process peak RSS (VmHWM) | %.1f MiB |", mib(s.peakRSS))
	w("")

	w("## Targets")
	w("")
	w("| target | measured | result |")
	w("|---|---|---|")
	for _, t := range r.targets() {
		result := "PASS"
		if !t.met {
			result = "MISS"
		}
		w("| %s | %s | %s |", t.goal, t.measured, result)
	}
	return b.String()
}

func (r report) targets() []target {
	find := func(schedule, estimate string) *waitCase {
		for _, c := range r.waiting {
			if strings.HasPrefix(c.schedule, schedule) && c.estimate == estimate {
				return c
			}
		}
		panic("no waiting case " + schedule + " " + estimate)
	}
	var worstLag time.Duration
	var worstCalls int
	var perEstimate []string
	for _, e := range estimates {
		calls, lags := find("adaptive", e.name).figures()
		worstLag, worstCalls = max(worstLag, slices.Max(lags)), max(worstCalls, slices.Max(calls))
		perEstimate = append(perEstimate, fmt.Sprintf("%s: %s, %d calls", e.name, secs(slices.Max(lags)), slices.Max(calls)))
	}
	ourCalls, ourLags := find("adaptive", "right").figures()
	fixedCalls, fixedLags := find("fixed 5 s", "right").figures()
	ourLag, fixedLag := median(ourLags), median(fixedLags)
	ourCall, fixedCall := median(ourCalls), median(fixedCalls)

	ts := []target{
		{"worst lag <= 2 s, every estimate", "worst " + strings.Join(perEstimate, "; "), worstLag <= 2*time.Second},
		{"worst calls <= 10 per 24-s build, every estimate", fmt.Sprintf("worst %d", worstCalls), worstCalls <= 10},
		{"median lag <= 1 s, estimate right", secs(ourLag), ourLag <= time.Second},
		{"median lag <= half of fixed 5 s, estimate right", fmt.Sprintf("%s vs %s", secs(ourLag), secs(fixedLag)), 2*ourLag <= fixedLag},
		{"median calls <= half of fixed 5 s, estimate right", fmt.Sprintf("%d vs %d", ourCall, fixedCall), 2*ourCall <= fixedCall},
	}
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
		target{"100 waits: apply finished <= 8 s after the images", secs(s.afterEnd), s.afterEnd <= 8*time.Second},
		target{"100 waits: provider RSS <= 60 MB", fmt.Sprintf("%.1f MiB", mib(s.peakRSS)), s.peakRSS <= 60<<20},
	)
}

func (c *waitCase) figures() (calls []int, lags []time.Duration) {
	for _, r := range c.runs {
		calls, lags = append(calls, r.calls), append(lags, r.lag)
	}
	return calls, lags
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

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

func cpuModel() string {
	info, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.Lines(string(info)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown " + runtime.GOARCH
}
