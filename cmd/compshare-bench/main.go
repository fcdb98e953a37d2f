// Command compshare-bench measures the provider under the real Terraform CLI
// against the API emulator: how soon a wait sees a build become usable and
// how many calls it costs, on builds of every progress shape and estimate,
// next to fixed-interval baselines; how soon a failed build is reported;
// what the provider adds to a plan; and how a hundred waits behave at once.
// It prints a report and writes it to BENCHMARKS.md. Targets are marked PASS
// or MISS; it fails only when the benchmark itself cannot run.
//
// Run it from the repository root: make bench.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "compshare-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	terraform := flag.String("terraform", "", "Terraform CLI `path` (default: what scripts/terraform-cli.sh prints)")
	out := flag.String("out", "BENCHMARKS.md", "write the report to `file` too; empty: only print it")
	runs := flag.Int("runs", 5, "builds of each shape and estimate, of different durations")
	longRuns := flag.Int("long-runs", 5, "builds of each shape and estimate lasting 5 minutes or more (5: their ends at spread phases of 5-s polling)")
	planRuns := flag.Int("plan-runs", 7, "timed runs of each plan")
	quick := flag.Bool("quick", false, "a quick look: 2 runs, no long runs, 3 plan runs, no long failing build")
	scaleOnly := flag.Bool("scale", false, "only the 100 waits at once; print their figures and write nothing")
	flag.Parse()
	if *quick {
		*runs, *longRuns, *planRuns = 2, 0, 3
	}
	if *runs < 1 || *longRuns < 0 || *planRuns < 1 {
		return fmt.Errorf("-runs and -plan-runs must be at least 1, -long-runs at least 0")
	}

	started := time.Now()
	b, err := setup(ctx, *terraform)
	if err != nil {
		return err
	}
	defer b.close()

	r := report{date: started, terraformVersion: b.version, loadAtStart: loadAverage()}
	if *scaleOnly {
		if r.scale, err = b.scale(ctx); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		var out strings.Builder
		r.renderScale(func(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) })
		fmt.Print(out.String())
		return nil
	}
	// The plan is timed first, while nothing else runs.
	if r.plan, err = b.planOverhead(ctx, *planRuns); err != nil {
		return fmt.Errorf("plan overhead: %w", err)
	}
	// The waits and the failing builds go at once: they mostly sleep.
	var waitErr, failErr error
	var wg sync.WaitGroup
	wg.Go(func() { r.waiting, waitErr = b.waiting(ctx, *runs, *longRuns) })
	wg.Go(func() { r.failures, failErr = b.failures(ctx, *quick) })
	wg.Wait()
	if waitErr != nil {
		return fmt.Errorf("waiting: %w", waitErr)
	}
	if failErr != nil {
		return fmt.Errorf("failing builds: %w", failErr)
	}
	if r.scale, err = b.scale(ctx); err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	r.took = time.Since(started)

	text := r.render()
	fmt.Print(text)
	if *out != "" {
		return os.WriteFile(*out, []byte(text), 0o644)
	}
	return nil
}

// progressf tells on stderr where the benchmark is; stdout gets the report.
func progressf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
