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

	Process           *flexNumber
	TotalDuration     *flexNumber
	RemainingDuration *flexNumber
}

// flexNumber accepts a JSON number or a string holding one ("300", " 65.5 ").
type flexNumber float64

func (n *flexNumber) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		data = []byte(strings.TrimSpace(s))
	}
	v, err := strconv.ParseFloat(string(data), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("not a finite number: %s", data)
	}
	*n = flexNumber(v)
	return nil
}

// toProgress checks the decoded answer and converts it. A missing or out of
// range Process is refused: taking it as 0 or 100 would stall or end a wait
// on an answer that says nothing.
func (r *progressResponse) toProgress(imageID string) (Progress, error) {
	if r.Process == nil {
		return Progress{}, fmt.Errorf("the answer has no Process field")
	}
	percent := float64(*r.Process)
	if percent < 0 || percent > 100 {
		return Progress{}, fmt.Errorf("the answer's Process %v is outside 0..100", percent)
	}
	p := Progress{ImageID: imageID, Percent: percent}
	if r.TotalDuration != nil {
		v := float64(*r.TotalDuration)
		p.TotalSeconds = &v
	}
	if r.RemainingDuration != nil {
		v := float64(*r.RemainingDuration)
		p.RemainingSeconds = &v
	}
	return p, nil
}
