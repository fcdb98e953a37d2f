package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultProcessNoise(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, FaultEvery: 1, Fault: FaultProcessNoise, Images: []Image{
		{ID: "done", Start: clock.Now().Add(-time.Hour), Total: time.Minute},
		{ID: "queued", Total: time.Minute, Shape: ShapeQueued},
	}})
	for id, want := range map[string]string{"done": `"Process":100.00000000000001,`, "queued": `"Process":-5e-324,`} {
		_, body := call(t, s, progressParams(id))
		if !strings.Contains(body, want) {
			t.Errorf("%s: %s, want %s", id, body, want)
		}
	}
	if r := s.Requests()[0]; r.Fault != FaultProcessNoise {
		t.Errorf("log %+v", r)
	}
}

func TestFaultHTML200Burst(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}})
	s.SetFaultBurst(3, FaultHTML200)
	for i := 1; i <= 5; i++ {
		resp, body := call(t, s, progressParams("img-1"))
		html := strings.HasPrefix(body, "<!DOCTYPE html>")
		if resp.StatusCode != http.StatusOK || html != (i <= 3) {
			t.Errorf("answer %d: HTTP %d %.40q", i, resp.StatusCode, body)
		}
		if html && (len(body) < 190<<10 || len(body) > 210<<10 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")) {
			t.Errorf("answer %d: %d bytes of %s", i, len(body), resp.Header.Get("Content-Type"))
		}
	}
}

func TestFaultLimit(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}, FaultEvery: 2, FaultLimit: 2, Fault: FaultHTTP502})
	var statuses []int
	for range 7 {
		resp, _ := call(t, s, progressParams("img-1"))
		statuses = append(statuses, resp.StatusCode)
	}
	if want := []int{200, 502, 200, 502, 200, 200, 200}; !equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	s.SetFault(1, FaultHTTP504) // no limit any more
	for range 3 {
		if resp, _ := call(t, s, progressParams("img-1")); resp.StatusCode != http.StatusGatewayTimeout {
			t.Errorf("SetFault kept the limit: HTTP %d", resp.StatusCode)
		}
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryAfter(t *testing.T) {
	clock := newClock()
	for _, tt := range []struct {
		fault Fault
		cfg   Config
		want  string
	}{
		{FaultHTTP429, Config{RetryAfter: 3 * time.Second}, "3"},
		{FaultHTTP503, Config{RetryAfter: 2500 * time.Millisecond}, "3"},
		{FaultHTTP429, Config{RetryAfter: 3 * time.Second, RetryAfterDate: true, Now: clock.Now}, clock.Now().Add(3 * time.Second).Format(http.TimeFormat)},
		{FaultHTTP429, Config{}, ""},
		{FaultHTTP502, Config{RetryAfter: 3 * time.Second}, ""},
	} {
		tt.cfg.FaultEvery, tt.cfg.Fault = 1, tt.fault
		s := startServer(t, tt.cfg)
		resp, body := call(t, s, progressParams("img-1"))
		if got := resp.Header.Get("Retry-After"); got != tt.want || !decodeOK(body) {
			t.Errorf("%s with %+v: Retry-After %q, want %q; %s", tt.fault, tt.cfg, got, tt.want, body)
		}
		// A date counts from the answer's Date, which must be of the same clock.
		if date := resp.Header.Get("Date"); tt.cfg.RetryAfterDate && date != clock.Now().Format(http.TimeFormat) {
			t.Errorf("%s with %+v: Date %q, want the emulator's clock %q", tt.fault, tt.cfg, date, clock.Now().Format(http.TimeFormat))
		}
	}
}

func TestRateLimit(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, RateLimit: 0.5, RateBurst: 2, Images: []Image{{ID: "img-1", Total: time.Minute}}})
	for i, want := range []int{200, 200, 429} {
		resp, body := call(t, s, progressParams("img-1"))
		if resp.StatusCode != want {
			t.Fatalf("request %d: HTTP %d %s", i+1, resp.StatusCode, body)
		}
		if want == 429 && (resp.Header.Get("Retry-After") != "2" || decode(t, body).RetCode != 429) {
			t.Errorf("throttled: Retry-After %q %s", resp.Header.Get("Retry-After"), body)
		}
	}
	if log := s.Requests(); !log[2].Throttled || log[2].HTTPStatus != 429 || log[1].Throttled {
		t.Errorf("log %+v", log)
	}
	// Another key has its own budget (and is refused for its signature).
	p := signed(progressParams("img-1"), testPrivate)
	p["PublicKey"] = "other"
	if resp, _ := post(t, s.URL(), "application/x-www-form-urlencoded", form(p)); resp.StatusCode != http.StatusOK {
		t.Errorf("another key throttled: HTTP %d", resp.StatusCode)
	}
	clock.Add(1500 * time.Millisecond) // a refusal costs nothing: one token back after 2 s
	if resp, _ := call(t, s, progressParams("img-1")); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("0.5 s before the next token: HTTP %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	clock.Add(500 * time.Millisecond)
	if resp, body := call(t, s, progressParams("img-1")); resp.StatusCode != http.StatusOK {
		t.Errorf("after the wait: HTTP %d %s", resp.StatusCode, body)
	}
}

func TestFaultsEchoSecrets(t *testing.T) {
	s := startServer(t, Config{FaultEvery: 1, Fault: FaultEchoKey})
	_, body := call(t, s, progressParams("img-1"))
	if d := decode(t, body); d.RetCode != 172 || d.Message != "signature mismatch for key "+testPrivate {
		t.Errorf("echo key: %s", body)
	}
	s.SetFault(1, FaultEchoSignature)
	p := signed(progressParams("img-1"), testPrivate)
	_, body = post(t, s.URL(), "application/x-www-form-urlencoded", form(p))
	if d := decode(t, body); d.RetCode != 171 || !strings.Contains(d.Message, fmt.Sprint(p["Signature"])) {
		t.Errorf("echo signature: %s", body)
	}
}

func TestZoneOutsideRegion(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}})
	for _, action := range []string{actionProgress, actionDescribe, actionCreate, actionUpdate, actionTerminate, actionInstances} {
		p := progressParams("img-1")
		p["Action"], p["Region"] = action, "cn-sh2"
		_, body := call(t, s, p)
		if d := decode(t, body); d.RetCode != 230 || d.Message != "Params [Zone] not available" {
			t.Errorf("%s in cn-sh2 / %s: %s", action, testZone, body)
		}
	}
	// A region that is a prefix of the zone's region is not its region.
	p := progressParams("img-1")
	p["Region"] = "cn-wl"
	if _, body := call(t, s, p); decode(t, body).RetCode != 230 {
		t.Errorf("cn-wl / cn-wlcb-01: %s", body)
	}
}

// The emulator refuses what the API refuses: a region it does not serve,
// and a zone that is not one of its region's, even one named after it.
func TestUnknownRegionAndZone(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}})
	for _, tc := range []struct{ region, zone, refused string }{
		{"cn-wlcbx", "cn-wlcbx-01", "Params [Region] not available"},
		{"cn-nowhere", "", "Params [Region] not available"},
		{testRegion, "cn-wlcb-02", "Params [Zone] not available"},
		{"cn-sh2", "cn-sh2-09", "Params [Zone] not available"},
		{"cn-sh2", testZone, "Params [Zone] not available"},
	} {
		for _, action := range []string{actionProgress, actionDescribe, actionCreate, actionUpdate, actionTerminate, actionInstances} {
			p := progressParams("img-1")
			p["Action"], p["Region"], p["Zone"] = action, tc.region, tc.zone
			_, body := call(t, s, p)
			if d := decode(t, body); d.RetCode != 230 || d.Message != tc.refused {
				t.Errorf("%s in %s / %s: %s, want RetCode 230 %q", action, tc.region, tc.zone, body, tc.refused)
			}
		}
	}
}

// ExtraZones serve more zones of the default region, on that server alone:
// an image there is read in its zone; an image of another server's extra
// zone cannot be placed; zones beside them are still refused.
func TestExtraZones(t *testing.T) {
	s := startServer(t, Config{ExtraZones: []string{"cn-wlcb-007"}, Images: []Image{{ID: "img-7", Zone: "cn-wlcb-007"}}})
	for zone, want := range map[string]int{"cn-wlcb-007": 0, "cn-wlcb-008": 230} {
		p := progressParams("img-7")
		p["Zone"] = zone
		if _, body := call(t, s, p); decode(t, body).RetCode != want {
			t.Errorf("zone %s: %s, want RetCode %d", zone, body, want)
		}
	}
	if _, err := New(Config{PublicKey: "p", PrivateKey: "k", Images: []Image{{ID: "img-7", Zone: "cn-wlcb-007"}}}); err == nil {
		t.Error("an image in a zone the server does not serve was accepted")
	}
}

// An image or instance placed without a region lives in the default
// location, not in every one: a typo in a region must not pass offline.
func TestNoRegionMeansTheDefaultLocation(t *testing.T) {
	s := startServer(t, Config{
		Images:    []Image{{ID: "img-default"}, {ID: "img-sh2", Region: "cn-sh2"}},
		Instances: []Instance{{ID: "uhost-default"}, {ID: "uhost-sh2", Region: "cn-sh2", Zone: "cn-sh2-02"}},
	})
	for _, tc := range []struct{ region, zone, image, instance string }{
		{DefaultRegion, DefaultZone, "img-default", "uhost-default"},
		{"cn-sh2", "cn-sh2-02", "img-sh2", "uhost-sh2"},
	} {
		_, body := call(t, s, map[string]any{"Action": actionDescribe, "Region": tc.region, "Zone": tc.zone})
		if set := decode(t, body).ImageSet; len(set) != 1 || set[0].CompShareImageId != tc.image {
			t.Errorf("images in %s / %s: %s, want only %s", tc.region, tc.zone, body, tc.image)
		}
		_, body = call(t, s, map[string]any{"Action": actionInstances, "Region": tc.region, "Zone": tc.zone})
		if !strings.Contains(body, tc.instance) || strings.Count(body, `"UHostId"`) != 1 {
			t.Errorf("instances in %s / %s: %s, want only %s", tc.region, tc.zone, body, tc.instance)
		}
	}
}

func TestImagesAndInstancesInUnknownLocationsAreRefused(t *testing.T) {
	for _, cfg := range []Config{
		{Images: []Image{{ID: "img-1", Region: "cn-bj2"}}},
		{Images: []Image{{ID: "img-1", Region: "cn-sh2", Zone: "cn-wlcb-01"}}},
		{Instances: []Instance{{ID: "uhost-1", Zone: "cn-wlcb-07"}}},
	} {
		cfg.PublicKey, cfg.PrivateKey = "pub", "priv"
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "region") {
			t.Errorf("New(%+v) = %v, want a refusal naming the region", cfg, err)
		}
	}
}

func TestIDsBrieflyUnknown(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{
		{ID: "two-answers", Total: time.Minute, UnknownAnswers: 2},
		{ID: "ten-seconds", Total: time.Minute, UnknownFor: 10 * time.Second},
		{ID: "known", Total: time.Minute},
	}})
	listed := func() string {
		_, body := call(t, s, map[string]any{"Action": actionDescribe, "Region": testRegion, "Zone": testZone})
		var ids []string
		for _, img := range decode(t, body).ImageSet {
			ids = append(ids, img.CompShareImageId)
		}
		return strings.Join(ids, ",")
	}
	if got := listed(); got != "known" {
		t.Errorf("listed while unknown: %s", got)
	}
	var codes []int
	for range 3 {
		_, body := call(t, s, progressParams("two-answers"))
		codes = append(codes, decode(t, body).RetCode)
	}
	if !equal(codes, []int{230, 230, 0}) {
		t.Errorf("two unknown answers: %v", codes)
	}
	for _, at := range []time.Duration{0, 9 * time.Second} {
		clock.Set(s.Requests()[0].Time.Add(at))
		_, body := call(t, s, progressParams("ten-seconds"))
		if d := decode(t, body); d.RetCode != 230 || d.Message != "Params [CompShareImageId] not available" {
			t.Errorf("at %v: %s", at, body)
		}
		// An id filter on a still unknown id is a bad value too.
		_, body = call(t, s, map[string]any{"Action": actionDescribe, "Region": testRegion, "Zone": testZone, "CompShareImageId": "ten-seconds"})
		if d := decode(t, body); d.RetCode != 230 {
			t.Errorf("describe at %v: %s", at, body)
		}
	}
	clock.Set(s.Requests()[0].Time.Add(10 * time.Second))
	if _, body := call(t, s, progressParams("ten-seconds")); decode(t, body).RetCode != 0 {
		t.Errorf("after 10 s: %s", body)
	}
	if got := listed(); got != "two-answers,ten-seconds,known" {
		t.Errorf("listed once known: %s", got)
	}

	// Server-wide, for every image that appears, unless it has its own values.
	s = startServer(t, Config{Now: clock.Now, UnknownAnswers: 1, Images: []Image{
		{ID: "default", Total: time.Minute}, {ID: "own", Total: time.Minute, UnknownAnswers: 3},
	}})
	s.SetImage(Image{ID: "later", Total: time.Minute})
	for id, unknown := range map[string]int{"default": 1, "own": 3, "later": 1} {
		for i := range unknown + 1 {
			_, body := call(t, s, progressParams(id))
			if got, want := decode(t, body).RetCode, map[bool]int{true: 230, false: 0}[i < unknown]; got != want {
				t.Errorf("%s, answer %d: %s", id, i+1, body)
			}
		}
	}
}
