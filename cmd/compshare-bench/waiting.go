package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/compshare"
	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

const (
	buildTime = 24 * time.Second
	// fixedCycle is the longest fixed interval whose phase the runs spread over.
	fixedCycle = 5 * time.Second
	// stagger separates the starts of concurrent scenarios, so that their
	// Terraform processes do not all compete for the CPU at once.
	stagger = time.Second
)

// waitSchedules are the schedules compared, set through COMPSHARE_WAIT_SCHEDULE.
var waitSchedules = []struct{ name, env string }{
	{"adaptive (this provider)", "adaptive"},
	{"fixed 1 s", "fixed:1s"},
	{"fixed 5 s (Compshare CLI)", "fixed:5s"},
	{"fixed 10 s (typical waiter)", "fixed:10s"},
}

// estimates are the API's TotalDuration as a share of the true build time.
var estimates = []struct {
	name   string
	factor float64
}{{"right", 1}, {"0.6x", 0.6}, {"1.6x", 1.6}}

// waitRun is one apply of a compshare_image_wait on a 24-s build.
type waitRun struct {
	calls int           // API requests made by terraform apply
	lag   time.Duration // from the build's end to the first answer showing 100 %
}

type waitCase struct {
	schedule, estimate string
	scheduleEnv        string // value of COMPSHARE_WAIT_SCHEDULE
	factor             float64
	runs               []waitRun
}

// waiting applies every schedule and estimate runs times. Run i starts the
// build i/runs of fixedCycle before apply, so that the fixed baselines meet
// the end at different phases rather than always lucky or always unlucky.
func (b *bench) waiting(ctx context.Context, runs int) ([]*waitCase, error) {
	var cases []*waitCase
	for _, s := range waitSchedules {
		for _, e := range estimates {
			cases = append(cases, &waitCase{schedule: s.name, estimate: e.name, scheduleEnv: s.env, factor: e.factor})
		}
	}
	for run := range runs {
		offset := fixedCycle * time.Duration(run) / time.Duration(runs)
		progressf("waiting: run %d of %d, %d applies of a %v build, started %v before apply", run+1, runs, len(cases), buildTime, offset)
		results := make([]waitRun, len(cases))
		errs := make([]error, len(cases))
		var wg sync.WaitGroup
		for i, c := range cases {
			wg.Go(func() {
				select {
				case <-time.After(time.Duration(i) * stagger):
				case <-ctx.Done():
					errs[i] = ctx.Err()
					return
				}
				name := fmt.Sprintf("wait-%d-%d", run, i)
				results[i], errs[i] = b.waitOnce(ctx, name, c.scheduleEnv, c.factor, offset)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		for i, c := range cases {
			c.runs = append(c.runs, results[i])
		}
	}
	return cases, nil
}

// waitOnce plans a wait, restarts the build offset before apply, and applies
// the saved plan; only the apply's requests are counted.
func (b *bench) waitOnce(ctx context.Context, name, schedule string, factor float64, offset time.Duration) (waitRun, error) {
	const id = "compshareImage-bench"
	image := emulator.Image{ID: id, Total: buildTime, EstimateFactor: factor}
	srv, err := emulator.Start(emulator.Config{PublicKey: b.publicKey, PrivateKey: b.privateKey, Images: []emulator.Image{image}})
	if err != nil {
		return waitRun{}, err
	}
	defer func() { _ = srv.Close() }()
	dir, err := b.configDir(name, providerBlock(srv.URL(), "")+fmt.Sprintf("resource \"compshare_image_wait\" \"build\" {\n  image_id = %q\n}\n", id))
	if err != nil {
		return waitRun{}, err
	}
	env := []string{"COMPSHARE_WAIT_SCHEDULE=" + schedule}
	if _, err := b.tf(ctx, dir, env, "plan", "-input=false", "-out=tfplan"); err != nil {
		return waitRun{}, err
	}

	image.Start = time.Now().Add(-offset)
	srv.SetImage(image)
	before := srv.RequestCount()
	if _, err := b.tf(ctx, dir, env, "apply", "-input=false", "tfplan"); err != nil {
		return waitRun{}, err
	}
	run := waitRun{calls: srv.RequestCount() - before}
	done, _ := srv.CompletedAt(id)
	for _, r := range srv.Requests() {
		if r.Action == compshare.ActionImageProgress && r.Process >= 100 {
			run.lag = max(0, r.Time.Sub(done))
			return run, nil
		}
	}
	return run, fmt.Errorf("%s: apply ended, but no answer showed 100 %%", name)
}
