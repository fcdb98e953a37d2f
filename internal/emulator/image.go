package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Image is a custom image whose build the emulator simulates in real time.
//
// The build reaches 100 % at Start+Total whatever its Shape; Total 0 means built at
// once. In JSON (the emulator's image file) durations are seconds, under the keys named
// in the comments; every other field uses its tag.
type Image struct {
	ID             string        `json:"id"`
	Region         string        `json:"region,omitempty"`          // empty: DefaultRegion
	Zone           string        `json:"zone,omitempty"`            // empty: the region's zone (DefaultZone)
	Start          time.Time     `json:"start"`                     // when the build started; zero: when the server gets the image
	Total          time.Duration `json:"-"`                         // true build duration; 0: built at once (JSON: "total_seconds")
	EstimateFactor float64       `json:"estimate_factor,omitempty"` // clock and stale estimates: reported TotalDuration = Total*factor; 0 means 1
	FailAtPercent  float64       `json:"fail_at_percent,omitempty"` // >0: the build fails when progress first reaches this percent
	FailedReason   string        `json:"failed_reason,omitempty"`   // listed reason of a failed build; empty: "image build failed"

	Shape           Shape         `json:"shape,omitempty"`            // how progress grows over Total; empty: straight
	Estimate        EstimateMode  `json:"estimate,omitempty"`         // how TotalDuration/RemainingDuration are made; empty: clock
	EstimateRefresh time.Duration `json:"-"`                          // stale estimate: recomputed every this long; 0: computed once at Start (JSON: "estimate_refresh_seconds")
	FailAt          time.Duration `json:"-"`                          // >0: the build fails this long after Start (JSON: "fail_at_seconds"); not with FailAtPercent
	FailStatus      string        `json:"fail_status,omitempty"`      // status a failed build is listed with: "UnAvailable" (default) or "Offline"
	NoFailedReason  bool          `json:"no_failed_reason,omitempty"` // a failed build is listed with an empty FailedReason
	AvailableAfter  time.Duration `json:"-"`                          // listed as Making this long after progress reads 100, then Available (JSON: "available_after_seconds")
	Status          string        `json:"status,omitempty"`           // non-empty: listed with this status word whatever the build does (e.g. "Offline", "Reviewing")

	// The id is unknown (RetCode 230) to requests naming it for its first UnknownAnswers
	// answers and during UnknownFor after the server gets the image (JSON:
	// "unknown_for_seconds"); meanwhile lists leave it out. 0: Config's value.
	UnknownAnswers int           `json:"unknown_answers,omitempty"`
	UnknownFor     time.Duration `json:"-"`

	// Listed metadata (DescribeCompShareCustomImages).
	Name          string   `json:"name,omitempty"` // empty: the ID
	Description   string   `json:"description,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	SizeMB        int      `json:"size_mb,omitempty"`
	Container     bool     `json:"container,omitempty"` // a container image, listed as Container "True"; else a VM image ("False")
	SourceGpuType string   `json:"source_gpu_type,omitempty"`
	Visibility    int      `json:"visibility,omitempty"` // 0 private, 1 published to the community (cannot be terminated)
	UHostID       string   `json:"uhost_id,omitempty"`   // the instance it is built from
}

// Status words of DescribeCompShareCustomImages.
const (
	StatusMaking      = "Making"
	StatusAvailable   = "Available"
	StatusUnAvailable = "UnAvailable"
	StatusOffline     = "Offline"
)

// imageFields has Image's fields without its JSON methods, so they can reuse the tags.
type imageFields Image

// imageDurations are Image's durations as they appear in JSON, in seconds.
type imageDurations struct {
	TotalSeconds           *float64 `json:"total_seconds"`
	FailAtSeconds          float64  `json:"fail_at_seconds,omitempty"`
	EstimateRefreshSeconds float64  `json:"estimate_refresh_seconds,omitempty"`
	AvailableAfterSeconds  float64  `json:"available_after_seconds,omitempty"`
	UnknownForSeconds      float64  `json:"unknown_for_seconds,omitempty"`
}

// MarshalJSON writes the durations in seconds.
func (img Image) MarshalJSON() ([]byte, error) {
	total := img.Total.Seconds()
	return json.Marshal(struct {
		imageFields
		imageDurations
	}{imageFields(img), imageDurations{
		TotalSeconds:           &total,
		FailAtSeconds:          img.FailAt.Seconds(),
		EstimateRefreshSeconds: img.EstimateRefresh.Seconds(),
		AvailableAfterSeconds:  img.AvailableAfter.Seconds(),
		UnknownForSeconds:      img.UnknownFor.Seconds(),
	}})
}

// UnmarshalJSON reads "total_seconds" (required) and either "start" (RFC 3339) or
// "started_seconds_ago", which is relative to the moment of decoding. With neither,
// the build starts when the server gets the image. Unknown fields are errors so that
// typos in hand-written image files do not go unnoticed.
func (img *Image) UnmarshalJSON(data []byte) error {
	var v struct {
		imageFields
		imageDurations
		Start             *time.Time `json:"start"` // shadows imageFields.Start to see whether it was given
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
	img.Total = seconds(*v.TotalSeconds)
	img.FailAt = seconds(v.FailAtSeconds)
	img.EstimateRefresh = seconds(v.EstimateRefreshSeconds)
	img.AvailableAfter = seconds(v.AvailableAfterSeconds)
	img.UnknownFor = seconds(v.UnknownForSeconds)
	switch {
	case v.Start != nil && v.StartedSecondsAgo != nil:
		return fmt.Errorf("image %q: give start or started_seconds_ago, not both", v.ID)
	case v.Start != nil:
		img.Start = *v.Start
	case v.StartedSecondsAgo != nil:
		img.Start = time.Now().Add(-seconds(*v.StartedSecondsAgo))
	}
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (img Image) validate(sv served) error {
	if img.ID == "" {
		return errors.New("image without id")
	}
	if err := sv.checkLocation(fmt.Sprintf("image %q", img.ID), img.Region, img.Zone); err != nil {
		return err
	}
	return img.validateBuild()
}

// validateBuild checks everything but the id, which a template for new builds lacks.
func (img Image) validateBuild() error {
	name := img.ID
	switch {
	case img.Total < 0:
		return fmt.Errorf("image %q: negative total duration", name)
	case img.EstimateFactor < 0:
		return fmt.Errorf("image %q: negative estimate factor", name)
	case img.FailAtPercent < 0 || img.FailAtPercent > 100:
		return fmt.Errorf("image %q: fail_at_percent must be within 0..100", name)
	case img.FailAt < 0 || img.FailAt > img.Total:
		return fmt.Errorf("image %q: fail_at_seconds must be within 0..total_seconds", name)
	case img.FailAt > 0 && img.FailAtPercent > 0:
		return fmt.Errorf("image %q: give fail_at_seconds or fail_at_percent, not both", name)
	case img.FailStatus != "" && img.FailStatus != StatusUnAvailable && img.FailStatus != StatusOffline:
		return fmt.Errorf("image %q: fail_status must be %s or %s, got %q", name, StatusUnAvailable, StatusOffline, img.FailStatus)
	case !img.knownShape():
		return fmt.Errorf("image %q: unknown shape %q (known: %v)", name, img.Shape, ShapeNames())
	case !slices.Contains(EstimateModes(), img.Estimate) && img.Estimate != "":
		return fmt.Errorf("image %q: unknown estimate mode %q (known: %v)", name, img.Estimate, EstimateModes())
	case img.EstimateRefresh < 0 || img.EstimateRefresh > 0 && img.Estimate != EstimateStale:
		return fmt.Errorf("image %q: estimate_refresh_seconds must be positive and needs estimate %q", name, EstimateStale)
	case img.AvailableAfter < 0, img.UnknownFor < 0, img.UnknownAnswers < 0, img.SizeMB < 0:
		return fmt.Errorf("image %q: negative available_after, unknown_for, unknown_answers or size_mb", name)
	case img.Visibility != 0 && img.Visibility != 1:
		return fmt.Errorf("image %q: visibility must be 0 or 1", name)
	}
	return nil
}

// failsAt reports how long after Start the build fails, if it does.
func (img Image) failsAt() (time.Duration, bool) {
	switch {
	case img.FailAt > 0:
		return img.FailAt, true
	case img.FailAtPercent > 0:
		return img.reaches(img.FailAtPercent), true
	}
	return 0, false
}

// completedAt is the moment the build reaches 100 %; false if it fails first.
func (img Image) completedAt() (time.Time, bool) {
	if _, fails := img.failsAt(); fails {
		return time.Time{}, false
	}
	return img.Start.Add(img.Total), true
}

// usableAt is the moment the image is listed Available; false if it never is
// by its build (it fails, or its status is forced).
func (img Image) usableAt() (time.Time, bool) {
	done, ok := img.completedAt()
	if !ok || img.Status != "" {
		return time.Time{}, false
	}
	return done.Add(img.AvailableAfter), true
}

// statusAt is the listed status and failure reason at now.
func (img Image) statusAt(now time.Time) (status, reason string) {
	elapsed := now.Sub(img.Start)
	failAt, fails := img.failsAt()
	switch {
	case img.Status != "":
		return img.Status, img.FailedReason
	case fails && elapsed >= failAt:
		if !img.NoFailedReason {
			reason = img.FailedReason
			if reason == "" {
				reason = "image build failed"
			}
		}
		if img.FailStatus != "" {
			return img.FailStatus, reason
		}
		return StatusUnAvailable, reason
	case !fails && elapsed >= img.Total+img.AvailableAfter:
		return StatusAvailable, ""
	}
	return StatusMaking, ""
}

// name is the listed name.
func (img Image) name() string {
	if img.Name == "" {
		return img.ID
	}
	return img.Name
}

func (img Image) servedIn(region, zone string) bool {
	return locatedIn(img.Region, img.Zone, region, zone)
}

// containerWord is how DescribeCompShareCustomImages spells Container: a string.
func containerWord(container bool) string {
	if container {
		return "True"
	}
	return "False"
}
