package emulator

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
)

func TestSignatureMatchesSDK(t *testing.T) {
	values := []any{
		"cn-wlcb", "", "a b&c=d/é", 7, int64(1) << 60, -3, 1.5, 0.1, 1e21, 1e-7, 2.0, true, false,
		[]any{"x", 2, true}, map[string]any{"b": 1, "a": "z"}, nil,
	}
	for _, v := range values {
		// What the SDK signs for a Go value, and what the emulator signs for it after a JSON trip.
		params := map[string]any{"Action": actionProgress, "PublicKey": testPublic, "Value": v, "Signature": "ignored"}
		b, err := json.Marshal(params)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := jsonParams(b)
		if err != nil {
			t.Fatal(err)
		}
		delete(params, "Signature")
		want := auth.CalculateSignature(params, testPrivate).Sign
		if sig := signature(got, testPrivate); sig != want {
			t.Errorf("value %#v (JSON %s): signature %s, SDK %s", v, b, sig, want)
		}
	}
}

func TestSignatureOfForm(t *testing.T) {
	params := map[string]string{"Action": "A", "Zone": "z", "Region": "r", "PublicKey": "p", "Signature": "whatever"}
	// Sorted: Action, PublicKey, Region, Zone; Signature left out.
	cred := auth.Credential{PublicKey: "p", PrivateKey: "k"}
	want := cred.Apply(map[string]any{"Action": "A", "Zone": "z", "Region": "r"})["Signature"]
	if got := signature(params, "k"); got != want {
		t.Errorf("signature %s, SDK Credential.Apply %s", got, want)
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := newRequestID(), newRequestID()
	if a == b || len(a) != 36 || strings.Count(a, "-") != 4 || a[14] != '4' {
		t.Errorf("request ids %q %q", a, b)
	}
}

func TestImageJSON(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	img := Image{ID: "i", Zone: "z", Start: start, Total: 90 * time.Second, EstimateFactor: 1.2, FailAtPercent: 50, FailedReason: "r"}
	b, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"i","zone":"z","start":"2026-03-04T05:06:07Z","estimate_factor":1.2,"fail_at_percent":50,"failed_reason":"r","total_seconds":90}`
	if string(b) != want {
		t.Errorf("marshal\n got %s\nwant %s", b, want)
	}
	var back Image
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, img) {
		t.Errorf("round trip: %+v %v", back, err)
	}

	var file struct{ Images []Image }
	before := time.Now()
	err = json.Unmarshal([]byte(`{"images":[
		{"id":"ago","total_seconds":60,"started_seconds_ago":15.5},
		{"id":"now","total_seconds":0.5}]}`), &file)
	if err != nil {
		t.Fatal(err)
	}
	ago, now := file.Images[0], file.Images[1]
	if ago.Total != time.Minute || ago.Start.Before(before.Add(-15500*time.Millisecond)) || ago.Start.After(time.Now().Add(-15500*time.Millisecond)) {
		t.Errorf("started_seconds_ago: %+v", ago)
	}
	if now.Total != 500*time.Millisecond || !now.Start.IsZero() {
		t.Errorf("no start: %+v", now)
	}

	for _, bad := range []string{
		`{"id":"x"}`,
		`{"id":"x","total_seconds":1,"start":"2026-01-01T00:00:00Z","started_seconds_ago":1}`,
		`{"id":"x","total_second":1}`,
	} {
		if err := json.Unmarshal([]byte(bad), &img); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
