package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
)

// syncBuffer is a bytes.Buffer safe to write from the server and read from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	imagesFile := filepath.Join(dir, "images.json")
	err := os.WriteFile(imagesFile, []byte(`{"images":[
		{"id":"from-file","total_seconds":100,"started_seconds_ago":50,"zone":"cn-wlcb-01"}]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{
			"-image", "demo:60s:15s", "-images-file", imagesFile, "-url-file", urlFile,
			"-log", "-durations-as-strings", "-latency", "1ms",
		}, &stdout, &stderr, env(map[string]string{"COMPSHARE_PUBLIC_KEY": "pub-env", "COMPSHARE_PRIVATE_KEY": "priv-env"}))
	}()

	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); {
		b, _ := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("url file: %q", base)
	}

	for id, want := range map[string]float64{"demo": 25, "from-file": 50} {
		p := map[string]any{
			"Action": "GetCompShareImageCreateProgress", "Region": "cn-wlcb", "Zone": "cn-wlcb-01",
			"CompShareImageId": id, "PublicKey": "pub-env",
		}
		form := url.Values{}
		for k, v := range p {
			form.Set(k, v.(string))
		}
		form.Set("Signature", auth.CalculateSignature(p, "priv-env").Sign)
		resp, err := http.PostForm(base, form)
		if err != nil {
			t.Fatal(err)
		}
		var answer struct {
			RetCode       int
			Process       float64
			TotalDuration any
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if err != nil || answer.RetCode != 0 || answer.Process < want || answer.Process > want+5 {
			t.Errorf("%s: %+v %v", id, answer, err)
		}
		if _, isString := answer.TotalDuration.(string); !isString {
			t.Errorf("%s: -durations-as-strings ignored: %#v", id, answer.TotalDuration)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no clean stop")
	}
	if got := stdout.String(); got != "compshare-emulator listening on "+base+"\n" {
		t.Errorf("stdout %q", got)
	}
	if n := strings.Count(stderr.String(), "GetCompShareImageCreateProgress image="); n != 2 {
		t.Errorf("want 2 log lines, got %q", stderr.String())
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, "priv-env") || strings.Contains(out, "pub-env") {
		t.Errorf("a key was printed: %q", out)
	}
	if _, err := os.Stat(urlFile); !os.IsNotExist(err) {
		t.Errorf("url file left behind: %v", err)
	}
}

func TestRunRefuses(t *testing.T) {
	keys := []string{"-public-key", "p", "-private-key", "k"}
	tests := map[string][]string{
		"all interfaces":  append([]string{"-listen", ":0"}, keys...),
		"unspecified ip":  append([]string{"-listen", "0.0.0.0:0"}, keys...),
		"no keys":         {},
		"unknown fault":   append([]string{"-fault-every", "2", "-fault", "teapot"}, keys...),
		"fault, no every": append([]string{"-fault", "reset"}, keys...),
		"bad image":       append([]string{"-image", "x:soon"}, keys...),
		"missing file":    append([]string{"-images-file", "/nonexistent.json"}, keys...),
		"extra argument":  append([]string{"serve"}, keys...),
	}
	for name, args := range tests {
		var out syncBuffer
		if err := run(context.Background(), args, &out, &out, env(nil)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseImage(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		spec    string
		total   time.Duration
		elapsed time.Duration
	}{
		{"img", time.Minute, 0},
		{"img:90s", 90 * time.Second, 0},
		{"img:2m:15s", 2 * time.Minute, 15 * time.Second},
		{"img::15s", time.Minute, 15 * time.Second},
	}
	for _, tt := range tests {
		img, err := parseImage(tt.spec, now)
		if err != nil || img.ID != "img" || img.Total != tt.total || !img.Start.Equal(now.Add(-tt.elapsed)) {
			t.Errorf("%s: %+v %v", tt.spec, img, err)
		}
	}
	for _, bad := range []string{"", ":60s", "img:60", "img:1s:2s:3s"} {
		if _, err := parseImage(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
