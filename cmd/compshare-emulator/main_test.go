package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

func TestUsage(t *testing.T) {
	var out syncBuffer
	if err := run(t.Context(), []string{"-h"}, &out, &out, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{
		"-listen 127.0.0.1:18080", "compshareImage-b:120s:0s:chunks:extrapolate", "COMPSHARE_BASE_URL=http://127.0.0.1:18080",
		"-fault-limit", "-retry-after", "-rate-limit", "-unknown-answers", "-unknown-for", "-terminate-linger",
		`"instances"`, `"new_build"`, "tail-99", "extrapolate", "html-200", "echo-private-key",
		"-instance ID", "-new-build duration", "kill PID",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, out.String())
		}
	}
	// Lines a terminal shows whole, not one of 700 characters.
	for line := range strings.Lines(out.String()) {
		if len(line) > 160 {
			t.Errorf("-h has a line of %d characters: %s", len(line), line)
		}
	}
}

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
		{"id":"from-file","total_seconds":6000,"started_seconds_ago":3000,"zone":"cn-wlcb-01"}],
		"instances":[{"id":"uhost-file","gpu_type":"4090"}],
		"new_build":{"total_seconds":3600,"estimate":"none"}}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{
			"-image", "demo:60m:15m", "-images-file", imagesFile, "-url-file", urlFile,
			"-log", "-durations-as-strings", "-latency", "1ms",
		}, &stdout, &stderr, env(map[string]string{"COMPSHARE_PUBLIC_KEY": "pub-env", "COMPSHARE_PRIVATE_KEY": "priv-env"}))
	}()
	base, ask := serving(t, urlFile, done, "pub-env", "priv-env")
	// Builds of an hour or more: the figures move by 5 % only in minutes,
	// however slowly the test runs.
	for id, want := range map[string]float64{"demo": 25, "from-file": 50} {
		a := ask(map[string]any{"Action": "GetCompShareImageCreateProgress", "CompShareImageId": id})
		if a.RetCode != 0 || a.Process < want || a.Process > want+5 {
			t.Errorf("%s: %+v", id, a)
		}
		if _, isString := a.TotalDuration.(string); !isString {
			t.Errorf("%s: -durations-as-strings ignored: %#v", id, a.TotalDuration)
		}
	}
	// A build from the file's instance follows its new_build: an hour long, without estimates.
	created := ask(map[string]any{"Action": "CreateCompShareCustomImage", "UHostId": "uhost-file", "Name": "n"})
	if created.RetCode != 0 || created.CompShareImageId == "" {
		t.Fatalf("create: %+v", created)
	}
	if a := ask(map[string]any{"Action": "GetCompShareImageCreateProgress", "CompShareImageId": created.CompShareImageId}); a.RetCode != 0 || a.Process > 1 || a.TotalDuration != nil {
		t.Errorf("new build: %+v", a)
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
	if n := strings.Count(stderr.String(), "GetCompShareImageCreateProgress image="); n != 3 {
		t.Errorf("want 2 log lines, got %q", stderr.String())
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, "priv-env") || strings.Contains(out, "pub-env") {
		t.Errorf("a key was printed: %q", out)
	}
	if _, err := os.Stat(urlFile); !os.IsNotExist(err) {
		t.Errorf("url file left behind: %v", err)
	}
}

// emulatorAnswer is what the tests read of an answer.
type emulatorAnswer struct {
	RetCode          int
	Process          float64
	TotalDuration    any
	CompShareImageId string
}

// serving waits until run, ending on done, writes urlFile, and returns the
// base URL and a function that sends signed requests to it.
func serving(t *testing.T, urlFile string, done <-chan error, publicKey, privateKey string) (string, func(map[string]any) emulatorAnswer) {
	t.Helper()
	var base string
	for base == "" {
		select {
		case err := <-done:
			t.Fatalf("run ended before writing the url file: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		b, _ := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("url file: %q", base)
	}
	return base, func(params map[string]any) emulatorAnswer {
		p := map[string]any{"Region": "cn-wlcb", "Zone": "cn-wlcb-01", "PublicKey": publicKey}
		for k, v := range params {
			p[k] = v
		}
		form := url.Values{}
		for k, v := range p {
			form.Set(k, fmt.Sprint(v))
		}
		form.Set("Signature", auth.CalculateSignature(p, privateKey).Sign)
		resp, err := http.PostForm(base, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a emulatorAnswer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return a
	}
}

// -instance gives the README's recipe an instance to image, and -new-build
// the length of its builds.
func TestInstanceAndNewBuildFlags(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var out syncBuffer
	go func() {
		done <- run(ctx, []string{"-public-key", "pub", "-private-key", "priv", "-url-file", urlFile,
			"-instance", "uhost-mine", "-instance", "uhost-other", "-new-build", "2h"}, &out, &out, env(nil))
	}()
	_, ask := serving(t, urlFile, done, "pub", "priv")
	for _, id := range []string{"uhost-mine", "uhost-other"} {
		created := ask(map[string]any{"Action": "CreateCompShareCustomImage", "UHostId": id, "Name": "image-of-" + id})
		if created.RetCode != 0 || created.CompShareImageId == "" {
			t.Fatalf("create from %s: %+v", id, created)
		}
		// A two-hour build: under 1 % however slowly the test runs.
		a := ask(map[string]any{"Action": "GetCompShareImageCreateProgress", "CompShareImageId": created.CompShareImageId})
		if total, _ := a.TotalDuration.(float64); a.RetCode != 0 || a.Process > 1 || total != 7200 {
			t.Errorf("build of %s: %+v, want a 7200 s build just started", id, a)
		}
	}
	// The instance lives in cn-wlcb-01 only.
	if a := ask(map[string]any{"Action": "CreateCompShareCustomImage", "Region": "cn-sh2", "Zone": "cn-sh2-02", "UHostId": "uhost-mine", "Name": "x"}); a.RetCode == 0 {
		t.Errorf("an image of uhost-mine built in cn-sh2: %+v", a)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunRefuses(t *testing.T) {
	keys := []string{"-public-key", "p", "-private-key", "k"}
	badFile := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badFile, []byte(`{"images":[],"instance":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string][]string{
		"all interfaces":  append([]string{"-listen", ":0"}, keys...),
		"unspecified ip":  append([]string{"-listen", "0.0.0.0:0"}, keys...),
		"no keys":         {},
		"unknown fault":   append([]string{"-fault-every", "2", "-fault", "teapot"}, keys...),
		"fault, no every": append([]string{"-fault", "reset"}, keys...),
		"bad image":       append([]string{"-image", "x:soon"}, keys...),
		"bad shape":       append([]string{"-image", "x:1m:0s:zigzag"}, keys...),
		"bad estimate":    append([]string{"-image", "x:1m:0s:straight:guess"}, keys...),
		"bad file":        append([]string{"-images-file", badFile}, keys...),
		"negative limit":  append([]string{"-rate-limit", "-1"}, keys...),
		"missing file":    append([]string{"-images-file", "/nonexistent.json"}, keys...),
		"extra argument":  append([]string{"serve"}, keys...),
		"bad instance":    append([]string{"-instance", "uhost-1:Stopped"}, keys...),
		"negative build":  append([]string{"-new-build", "-1s"}, keys...),
	}
	for name, args := range tests {
		var out syncBuffer
		if err := run(t.Context(), args, &out, &out, env(nil)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseImage(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		spec     string
		total    time.Duration
		elapsed  time.Duration
		shape    emulator.Shape
		estimate emulator.EstimateMode
	}{
		{"img", time.Minute, 0, "", ""},
		{"img:90s", 90 * time.Second, 0, "", ""},
		{"img:2m:15s", 2 * time.Minute, 15 * time.Second, "", ""},
		{"img::15s", time.Minute, 15 * time.Second, "", ""},
		{"img:2m:15s:chunks", 2 * time.Minute, 15 * time.Second, emulator.ShapeChunks, ""},
		{"img:::tail-99:extrapolate", time.Minute, 0, emulator.ShapeTail99, emulator.EstimateExtrapolate},
		{"img::::none", time.Minute, 0, "", emulator.EstimateNone},
	}
	for _, tt := range tests {
		img, err := parseImage(tt.spec, now)
		if err != nil || img.ID != "img" || img.Total != tt.total || !img.Start.Equal(now.Add(-tt.elapsed)) ||
			img.Shape != tt.shape || img.Estimate != tt.estimate {
			t.Errorf("%s: %+v %v", tt.spec, img, err)
		}
	}
	for _, bad := range []string{"", ":60s", "img:60", "img:1s:2s:a:b:c"} {
		if _, err := parseImage(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
