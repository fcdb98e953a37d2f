package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

const (
	scaleWaits = 100
	// The images are 2-minute builds that all end scaleEnd after apply
	// starts: time enough for the plan's and the apply's reads of 100 images
	// within the request budget, and for the waits to settle on the end.
	scaleTotal = 2 * time.Minute
	scaleEnd   = 45 * time.Second
	// scaleCallsBefore is what the 100 waits took before their status
	// lookups shared a page of images (BENCHMARKS.md of 2026-11-29).
	scaleCallsBefore = 769
)

type scaleResult struct {
	calls     int           // API requests made by terraform apply
	peakRate  int           // most requests that arrived within one second
	afterEnd  time.Duration // from the images' end to the end of apply
	peakRSS   int64         // largest peak RSS of a provider process, bytes
	applyTook time.Duration
}

// scale applies 100 waits at once on images that end together, with the
// provider's default settings.
func (b *bench) scale(ctx context.Context) (scaleResult, error) {
	start := time.Now().Add(scaleEnd - scaleTotal)
	images := make([]emulator.Image, scaleWaits)
	for i := range images {
		images[i] = emulator.Image{ID: fmt.Sprintf("compshareImage-scale-%03d", i), Start: start, Total: scaleTotal}
	}
	srv, err := emulator.Start(emulator.Config{PublicKey: b.publicKey, PrivateKey: b.privateKey, Images: images})
	if err != nil {
		return scaleResult{}, err
	}
	defer func() { _ = srv.Close() }()
	dir, err := b.configDir("scale", providerBlock(srv.URL(), "")+fmt.Sprintf(`
resource "compshare_image_wait" "build" {
  count    = %d
  image_id = format("compshareImage-scale-%%03d", count.index)
}
`, scaleWaits))
	if err != nil {
		return scaleResult{}, err
	}

	progressf("scale: %d waits applied at once, the images ending in %v", scaleWaits, scaleEnd)
	took, peakRSS, err := b.tfWatched(ctx, dir, nil, true, "apply", "-input=false", "-auto-approve", fmt.Sprintf("-parallelism=%d", scaleWaits))
	if err != nil {
		return scaleResult{}, err
	}
	ended := time.Now()
	done, _ := srv.CompletedAt(images[0].ID)
	log := srv.Requests()
	arrivals := make([]time.Time, len(log))
	for i, r := range log {
		arrivals[i] = r.Time
	}
	return scaleResult{
		calls:     len(log),
		peakRate:  peakPerSecond(arrivals),
		afterEnd:  ended.Sub(done),
		peakRSS:   peakRSS,
		applyTook: took,
	}, nil
}

// peakPerSecond returns the most arrivals within any one second.
func peakPerSecond(arrivals []time.Time) int {
	slices.SortFunc(arrivals, time.Time.Compare)
	peak, first := 0, 0
	for last, t := range arrivals {
		for !arrivals[first].After(t.Add(-time.Second)) {
			first++ // keep the window (t-1s, t]
		}
		peak = max(peak, last-first+1)
	}
	return peak
}
