package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Image is a custom image whose build the emulator simulates in real time.
type Image struct {
	ID             string        `json:"id"`
	Region         string        `json:"region,omitempty"`          // empty: any region
	Zone           string        `json:"zone,omitempty"`            // empty: any zone
	Start          time.Time     `json:"start"`                     // when the build started; zero: when the server gets the image
	Total          time.Duration `json:"-"`                         // true build duration; 0: built at once (JSON: "total_seconds")
	EstimateFactor float64       `json:"estimate_factor,omitempty"` // reported TotalDuration = Total*factor; 0 means 1
	FailAtPercent  float64       `json:"fail_at_percent,omitempty"` // >0: the build fails when progress reaches this
	FailedReason   string        `json:"failed_reason,omitempty"`
}

// imageFields has Image's fields without its JSON methods, so they can reuse the tags.
type imageFields Image

// MarshalJSON writes Total as "total_seconds".
func (img Image) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		imageFields
		TotalSeconds float64 `json:"total_seconds"`
	}{imageFields(img), img.Total.Seconds()})
}

// UnmarshalJSON reads "total_seconds" (required) and either "start" (RFC 3339) or
// "started_seconds_ago", which is relative to the moment of decoding. With neither,
// the build starts when the server gets the image. Unknown fields are errors so that
// typos in hand-written image files do not go unnoticed.
func (img *Image) UnmarshalJSON(data []byte) error {
	var v struct {
		imageFields
		Start             *time.Time `json:"start"` // shadows imageFields.Start to see whether it was given
		TotalSeconds      *float64   `json:"total_seconds"`
		StartedSecondsAgo *float64   `json:"started_seconds_ago"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if v.TotalSeconds == nil {
		return fmt.Errorf("image %q: total_seconds is required", v.ID)
	}
	*img = Image(v.imageFields)
	img.Total = time.Duration(*v.TotalSeconds * float64(time.Second))
	switch {
	case v.Start != nil && v.StartedSecondsAgo != nil:
		return fmt.Errorf("image %q: give start or started_seconds_ago, not both", v.ID)
	case v.Start != nil:
		img.Start = *v.Start
	case v.StartedSecondsAgo != nil:
		img.Start = time.Now().Add(-time.Duration(*v.StartedSecondsAgo * float64(time.Second)))
	}
	return nil
}

func (img Image) validate() error {
	switch {
	case img.ID == "":
		return errors.New("image without id")
	case img.Total < 0:
		return fmt.Errorf("image %q: negative total duration", img.ID)
	case img.EstimateFactor < 0:
		return fmt.Errorf("image %q: negative estimate factor", img.ID)
	case img.FailAtPercent < 0 || img.FailAtPercent > 100:
		return fmt.Errorf("image %q: fail_at_percent must be within 0..100", img.ID)
	}
	return nil
}

// failsAt reports how long after Start the build fails, if it does.
func (img Image) failsAt() (time.Duration, bool) {
	if img.FailAtPercent <= 0 {
		return 0, false
	}
	return time.Duration(float64(img.Total) * img.FailAtPercent / 100), true
}

// completedAt is the moment the build reaches 100 %; false if it fails first.
func (img Image) completedAt() (time.Time, bool) {
	if _, fails := img.failsAt(); fails {
		return time.Time{}, false
	}
	return img.Start.Add(img.Total), true
}

// progress is what the API reports about a build at one moment.
type progress struct {
	percent          float64 // 0..100, two decimals
	total, remaining int64   // estimated seconds, as reported
	done, failed     bool
}

func (img Image) progressAt(now time.Time) progress {
	elapsed := max(now.Sub(img.Start), 0)
	var p progress
	if failAt, fails := img.failsAt(); fails && elapsed >= failAt {
		// A failed build stays frozen where it stopped.
		elapsed, p.failed = failAt, true
	}
	switch {
	case p.failed:
		p.percent = round2(img.FailAtPercent)
	case elapsed >= img.Total:
		p.percent, p.done = 100, true
	default:
		// Below 100 until the build is really done, so that the progress
		// never says 100 while the image is still Making.
		p.percent = min(round2(float64(elapsed)/float64(img.Total)*100), 99.99)
	}
	factor := img.EstimateFactor
	if factor == 0 {
		factor = 1
	}
	estimate := img.Total.Seconds() * factor
	p.total = int64(math.Round(estimate))
	if !p.done {
		p.remaining = max(0, int64(math.Round(estimate-elapsed.Seconds())))
	}
	return p
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
