package compshare

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzDecodeProgress feeds arbitrary answers to the decoder: it must never
// panic, and whatever it accepts must be a usable progress.
func FuzzDecodeProgress(f *testing.F) {
	for _, seed := range []string{
		`{"Action":"GetCompShareImageCreateProgressResponse","RetCode":0,"Process":65.5,"TotalDuration":300,"RemainingDuration":105}`,
		`{"RetCode":0,"Process":10,"TotalDuration":"3600","RemainingDuration":"3240"}`,
		`{"RetCode":0,"Process":100}`,
		`{"RetCode":0,"Process":112.5,"TotalDuration":300,"RemainingDuration":0}`,
		`{"RetCode":0,"Process":-5}`,
		`{"RetCode":0,"Process":100.00000000000001}`,
		`{"RetCode":0,"Process":-1e-12}`,
		`{"RetCode":0,"Process":"NaN","TotalDuration":"Inf"}`,
		`{"RetCode":0,"Process":5,"TotalDuration":"1e999"}`,
		`{"RetCode":"0","Process":5}`,
		`{"RetCode":230,"Message":"Params [CompShareImageId] not available"}`,
		`{"RetCode":0,"Process":5`,
		`<html><body>502 Bad Gateway</body></html>`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var answer progressResponse
		if json.Unmarshal(body, &answer) != nil {
			return
		}
		p, err := answer.toProgress()
		if err != nil {
			return
		}
		if !(p.Percent >= 0 && p.Percent <= 100) {
			t.Fatalf("accepted progress %v from %q", p.Percent, body)
		}
		for _, d := range []*float64{p.TotalSeconds, p.RemainingSeconds} {
			if d != nil && (math.IsNaN(*d) || math.IsInf(*d, 0)) {
				t.Fatalf("accepted duration %v from %q", *d, body)
			}
		}
	})
}
