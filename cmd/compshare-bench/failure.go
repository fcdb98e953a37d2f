package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
	"github.com/compshare/terraform-provider-compshare/internal/schedule"
)

const (
	// A failed build must be reported within max(noticeWithin, 1/noticeShare
	// of the time the wait had run) of failing, and never later than the
	// max interval plus noticeWithin.
	noticeWithin = 10 * time.Second
	noticeShare  = 10
	failReason   = "disk quota exceeded while saving the image"
)

// failCase is a build that fails at a chosen moment: its progress freezes
// and its status becomes UnAvailable (with or without a reason) or Offline.
type failCase struct {
	name  string
	image emulator.Image // Start is set when the apply starts
	long  bool           // left out of a quick run

	// Measured:
	waitRan  time.Duration // from the wait's first request to the failure
	detected time.Duration // from the failure to the status answer that showed it
	errored  time.Duration // from the failure to the end of terraform apply, with its error
	calls    int
}

func failCases() []*failCase {
	fail := func(shape emulator.Shape, total, at time.Duration) emulator.Image {
		return emulator.Image{ID: "compshareImage-fails", Shape: shape, Total: total, FailAt: at, FailedReason: failReason}
	}
	offline := fail(emulator.ShapeStraight, 40*time.Second, 12*time.Second)
	offline.FailStatus = emulator.StatusOffline
	noReason := fail(emulator.ShapeStraight, 40*time.Second, 12*time.Second)
	noReason.NoFailedReason = true
	return []*failCase{
		{name: "straight, UnAvailable with a reason", image: fail(emulator.ShapeStraight, 40*time.Second, 12*time.Second)},
		{name: "straight, Offline", image: offline},
		{name: "straight, UnAvailable without a reason", image: noReason},
		{name: "straight, early", image: fail(emulator.ShapeStraight, 40*time.Second, 3*time.Second)},
		{name: "straight, late", image: fail(emulator.ShapeStraight, 60*time.Second, 50*time.Second)},
		{name: "chunks, within a step", image: fail(emulator.ShapeChunks, 40*time.Second, 15*time.Second)},
		{name: "queued, still at 0 %", image: fail(emulator.ShapeQueued, 40*time.Second, 8*time.Second)},
		{name: "tail-99, at 99 %", image: fail(emulator.ShapeTail99, 60*time.Second, 45*time.Second)},
		{name: "straight, after a long wait", image: fail(emulator.ShapeStraight, 150*time.Second, 125*time.Second), long: true},
	}
}

// target is how soon after failing the build must be reported, with the
// default max_poll_interval.
func (c *failCase) target() time.Duration {
	return min(max(noticeWithin, c.waitRan/noticeShare), schedule.DefaultMaxInterval+noticeWithin)
}

// failures applies a wait on each failing build, each in its own apply,
// the applies at once, staggered.
func (b *bench) failures(ctx context.Context, quick bool) ([]*failCase, error) {
	var cases []*failCase
	for _, c := range failCases() {
		if !c.long || !quick {
			cases = append(cases, c)
		}
	}
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() {
			if !sleep(ctx, time.Duration(i)*stagger/2) {
				errs[i] = ctx.Err()
				return
			}
			errs[i] = b.failOnce(ctx, fmt.Sprintf("fail-%d", i), c)
		})
	}
	wg.Wait()
	return cases, errors.Join(errs...)
}

// failOnce plans a wait, starts the failing build and applies the saved
// plan, which must fail naming the status and reason.
func (b *bench) failOnce(ctx context.Context, name string, c *failCase) error {
	id := c.image.ID
	log := &requestLog{}
	srv, err := emulator.Start(emulator.Config{PublicKey: b.publicKey, PrivateKey: b.privateKey,
		Images: []emulator.Image{{ID: id, Total: time.Hour}}, OnRequest: log.add})
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }()
	dir, err := b.configDir(name, providerBlock(srv.URL(), "")+fmt.Sprintf("resource \"compshare_image_wait\" \"build\" {\n  image_id = %q\n}\n", id))
	if err != nil {
		return err
	}
	if _, err := b.tf(ctx, dir, nil, "plan", "-input=false", "-out=tfplan"); err != nil {
		return err
	}

	progressf("failure: %s, failing %v into a %v build", c.name, c.image.FailAt, c.image.Total)
	img := c.image
	img.Start = time.Now()
	srv.SetImage(img)
	log.start()
	_, err = b.tf(ctx, dir, nil, "apply", "-input=false", "tfplan")
	ended := time.Now()
	switch {
	case err == nil:
		return fmt.Errorf("%s: the apply of a failing build succeeded", c.name)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	want := img.FailStatus
	if want == "" {
		want = emulator.StatusUnAvailable
	}
	if msg := strings.Join(strings.Fields(err.Error()), " "); !strings.Contains(msg, id) ||
		img.NoFailedReason == strings.Contains(msg, failReason) {
		return fmt.Errorf("%s: the apply's error does not name the image and the reason as the API gave it (status %s): %w", c.name, want, err)
	}
	failed := img.Start.Add(img.FailAt)
	reqs := log.byImage()[id]
	if len(reqs) == 0 {
		return fmt.Errorf("%s: the apply made no request", c.name)
	}
	c.calls = len(reqs)
	c.waitRan = failed.Sub(reqs[0].Time)
	c.detected = reqs[len(reqs)-1].Time.Sub(failed)
	c.errored = ended.Sub(failed)
	return nil
}
