package compshare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

// ActionImageProgress is the API action that reports an image build's progress.
const ActionImageProgress = "GetCompShareImageCreateProgress"

// Progress is one answer of GetCompShareImageCreateProgress.
type Progress struct {
	ImageID string
	// Percent is the API's Process, 0..100.
	Percent float64
	// TotalSeconds and RemainingSeconds are the API's estimates; nil when the
	// answer did not carry them.
	TotalSeconds     *float64
	RemainingSeconds *float64
	RequestID        string
}

// Completed reports whether the build has reached 100 %.
func (p Progress) Completed() bool { return p.Percent >= 100 }

// progressResponse is our own shape of the answer: the SDK's struct declares
// both durations as strings, while the API document (and servers that follow
// it) send JSON numbers, which makes the SDK's typed call fail on every answer.
type progressResponse struct {
	response.CommonBase

	Process           optionalNumber
	TotalDuration     optionalNumber
	RemainingDuration optionalNumber
}

// optionalNumber accepts a JSON number or a string holding one ("300",
// " 65.5 "); null and "" leave it absent.
type optionalNumber struct {
	value   float64
	present bool
}

func (n *optionalNumber) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		data = []byte(strings.TrimSpace(s))
	}
	if len(data) == 0 || string(data) == "null" {
		*n = optionalNumber{}
		return nil
	}
	v, err := strconv.ParseFloat(string(data), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("not a finite number: %s", data)
	}
	*n = optionalNumber{value: v, present: true}
	return nil
}

// seconds returns the number, or nil when absent.
func (n optionalNumber) seconds() *float64 {
	if !n.present {
		return nil
	}
	return &n.value
}

// toProgress checks the decoded answer and converts it. A missing or out of
// range Process is refused: taking it as 0 or 100 would stall or end a wait
// on an answer that says nothing.
func (r *progressResponse) toProgress(imageID string) (Progress, error) {
	if !r.Process.present {
		return Progress{}, fmt.Errorf("the answer has no Process field")
	}
	percent := r.Process.value
	if percent < 0 || percent > 100 {
		return Progress{}, fmt.Errorf("the answer's Process %v is outside 0..100", percent)
	}
	return Progress{ImageID: imageID, Percent: percent, TotalSeconds: r.TotalDuration.seconds(), RemainingSeconds: r.RemainingDuration.seconds()}, nil
}
