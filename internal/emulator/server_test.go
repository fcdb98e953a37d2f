package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWireFormatIntegers(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{
		Now:    clock.Now,
		Images: []Image{{ID: "img-1", Start: clock.Now().Add(-131 * time.Second), Total: 200 * time.Second}},
	})
	resp, body := call(t, s, progressParams("img-1"))
	want := `{"Action":"GetCompShareImageCreateProgressResponse","RetCode":0,"Process":65.5,"TotalDuration":200,"RemainingDuration":69}`
	if body != want {
		t.Errorf("body\n got %s\nwant %s", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp.Header.Get(headerRequestUUID) == "" {
		t.Error("no request id header")
	}
}

func TestWireFormatStrings(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{
		Now:                clock.Now,
		DurationsAsStrings: true,
		Images:             []Image{{ID: "img-1", Start: clock.Now().Add(-131 * time.Second), Total: 200 * time.Second}},
	})
	_, body := call(t, s, progressParams("img-1"))
	want := `{"Action":"GetCompShareImageCreateProgressResponse","RetCode":0,"Process":65.5,"TotalDuration":"200","RemainingDuration":"69"}`
	if body != want {
		t.Errorf("body\n got %s\nwant %s", body, want)
	}
}

func TestProgressAdvancesWithClock(t *testing.T) {
	clock := newClock()
	start := clock.Now()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{
		{ID: "exact", Start: start, Total: 120 * time.Second},
		{ID: "pessimist", Start: start, Total: 120 * time.Second, EstimateFactor: 1.5},
		{ID: "optimist", Start: start, Total: 120 * time.Second, EstimateFactor: 0.5},
	}})
	tests := []struct {
		at                 time.Duration
		id                 string
		process            float64
		total, remaining   string
		completedAtOrAfter bool
	}{
		{-10 * time.Second, "exact", 0, "120", "120", false},
		{0, "exact", 0, "120", "120", false},
		{60 * time.Second, "exact", 50, "120", "60", false},
		{59400 * time.Millisecond, "exact", 49.5, "120", "61", false}, // 60.6 s left: rounded, not cut
		{119999 * time.Millisecond, "exact", 99.99, "120", "0", false},
		{120 * time.Second, "exact", 100, "120", "0", true},
		{500 * time.Second, "exact", 100, "120", "0", true},
		{60 * time.Second, "pessimist", 50, "180", "120", false},
		{119 * time.Second, "pessimist", 99.17, "180", "61", false},
		{120 * time.Second, "pessimist", 100, "180", "0", true},
		{90 * time.Second, "optimist", 75, "60", "0", false},
	}
	for _, tt := range tests {
		clock.Set(start.Add(tt.at))
		_, body := call(t, s, progressParams(tt.id))
		d := decode(t, body)
		if d.RetCode != 0 || d.Process != tt.process || d.TotalDuration.String() != tt.total || d.RemainingDuration.String() != tt.remaining {
			t.Errorf("%s at %v: got %s, want Process %v Total %s Remaining %s", tt.id, tt.at, body, tt.process, tt.total, tt.remaining)
		}
		done, ok := s.CompletedAt(tt.id)
		if !ok || !done.Equal(start.Add(120*time.Second)) {
			t.Errorf("CompletedAt(%s) = %v, %v", tt.id, done, ok)
		}
		if got := !clock.Now().Before(done); got != tt.completedAtOrAfter {
			t.Errorf("%s at %v: completed %v, want %v", tt.id, tt.at, got, tt.completedAtOrAfter)
		}
	}
}

func TestFailedBuild(t *testing.T) {
	clock := newClock()
	start := clock.Now()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{
		{ID: "bad", Start: start, Total: 100 * time.Second, FailAtPercent: 40, FailedReason: "disk full"},
		{ID: "good", Start: start, Total: 100 * time.Second},
	}})
	if _, ok := s.CompletedAt("bad"); ok {
		t.Error("a failing build has a completion time")
	}
	describe := func() map[string]decoded {
		t.Helper()
		_, body := call(t, s, map[string]any{"Action": actionDescribe, "Region": testRegion, "Zone": testZone})
		d := decode(t, body)
		if d.RetCode != 0 || d.TotalCount != 2 || len(d.ImageSet) != 2 {
			t.Fatalf("describe: %s", body)
		}
		m := map[string]decoded{}
		for _, img := range d.ImageSet {
			m[img.CompShareImageId] = decoded{Message: img.Status + "|" + img.FailedReason}
		}
		return m
	}

	clock.Add(30 * time.Second)
	if got := describe()["bad"].Message; got != "Making|" {
		t.Errorf("at 30 s: %s", got)
	}
	clock.Add(70 * time.Second)
	got := describe()
	if got["bad"].Message != "UnAvailable|disk full" || got["good"].Message != "Available|" {
		t.Errorf("at 100 s: %v", got)
	}
	_, body := call(t, s, progressParams("bad"))
	if d := decode(t, body); d.RetCode != 0 || d.Process != 40 || d.RemainingDuration.String() != "60" {
		t.Errorf("failed build progress: %s", body)
	}
}

func TestDescribeFilters(t *testing.T) {
	s := startServer(t, Config{Images: []Image{
		{ID: "a", Total: time.Minute},
		{ID: "b", Total: time.Minute, Region: "cn-sh2", Zone: "cn-sh2-02"},
		{ID: "c", Total: time.Minute, Zone: testZone},
		{ID: "d", Total: time.Minute},
	}})
	tests := []struct {
		params map[string]any
		count  int
		ids    string
	}{
		{map[string]any{}, 3, "a,c,d"},
		{map[string]any{"CompShareImageId": "c"}, 1, "c"},
		{map[string]any{"CompShareImageId": "b"}, 0, ""},
		{map[string]any{"Limit": "2"}, 3, "a,c"},
		{map[string]any{"Limit": "2", "Offset": "2"}, 3, "d"},
		{map[string]any{"Offset": "99"}, 3, ""},
	}
	for _, tt := range tests {
		p := map[string]any{"Action": actionDescribe, "Region": testRegion, "Zone": testZone}
		for k, v := range tt.params {
			p[k] = v
		}
		_, body := call(t, s, p)
		d := decode(t, body)
		var ids []string
		for _, img := range d.ImageSet {
			ids = append(ids, img.CompShareImageId)
		}
		if d.RetCode != 0 || d.TotalCount != tt.count || strings.Join(ids, ",") != tt.ids {
			t.Errorf("%v: %s", tt.params, body)
		}
		if !strings.Contains(body, `"ImageSet":[`) {
			t.Errorf("ImageSet is not an array: %s", body)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	s := startServer(t, Config{Images: []Image{
		{ID: "img-1", Total: time.Minute},
		{ID: "img-sh", Total: time.Minute, Region: "cn-sh2", Zone: "cn-sh2-02"},
	}})
	good := progressParams("img-1")
	without := func(name string) map[string]any {
		p := map[string]any{}
		for k, v := range good {
			if k != name {
				p[k] = v
			}
		}
		return p
	}
	with := func(name, value string) map[string]any {
		p := without(name)
		p[name] = value
		return p
	}
	tests := []struct {
		name    string
		body    string
		code    int
		message string
	}{
		{"ok", form(signed(good, testPrivate)), 0, ""},
		{"no action", form(signed(without("Action"), testPrivate)), 160, "Missing params [Action]"},
		{"wrong private key", form(signed(good, "other")), 171, "Signature VerifyAC Error"},
		{"no signature", func() string {
			v, _ := url.ParseQuery(form(signed(good, testPrivate)))
			v.Del("Signature")
			return v.Encode()
		}(), 171, "Signature VerifyAC Error"},
		{"wrong public key", func() string {
			v, _ := url.ParseQuery(form(signed(good, testPrivate)))
			v.Set("PublicKey", "someone-else")
			return v.Encode()
		}(), 171, "Signature VerifyAC Error"},
		{"unknown action", form(signed(with("Action", "Nope"), testPrivate)), 161, "Action [Nope] not found"},
		{"no zone", form(signed(without("Zone"), testPrivate)), 160, "Missing params [Zone]"},
		{"no region", form(signed(without("Region"), testPrivate)), 160, "Missing params [Region]"},
		{"no image", form(signed(without("CompShareImageId"), testPrivate)), 160, "Missing params [CompShareImageId]"},
		{"unknown image", form(signed(with("CompShareImageId", "nope"), testPrivate)), 230, "Params [CompShareImageId] not available"},
		{"other region", form(signed(with("CompShareImageId", "img-sh"), testPrivate)), 230, "Params [CompShareImageId] not available"},
	}
	for _, tt := range tests {
		resp, body := post(t, s.URL(), "application/x-www-form-urlencoded", tt.body)
		d := decode(t, body)
		if resp.StatusCode != http.StatusOK || d.RetCode != tt.code || d.Message != tt.message || !strings.HasSuffix(d.Action, "Response") {
			t.Errorf("%s: HTTP %d %s", tt.name, resp.StatusCode, body)
		}
		if strings.Contains(body, testPublic) || strings.Contains(body, testPrivate) {
			t.Errorf("%s: answer echoes a key: %s", tt.name, body)
		}
	}
}

func TestJSONBody(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "a", Total: time.Minute}, {ID: "b", Total: time.Minute}}})
	params := signed(map[string]any{
		"Action": actionDescribe, "Region": testRegion, "Zone": testZone,
		"Limit": 1, "Offset": 1.0, "Verbose": true, "Tags": []any{"x", 2}, "Big": int64(1) << 60,
	}, testPrivate)
	b, _ := json.Marshal(params)
	_, body := post(t, s.URL(), "application/json; charset=utf-8", string(b))
	d := decode(t, body)
	if d.RetCode != 0 || d.TotalCount != 2 || len(d.ImageSet) != 1 || d.ImageSet[0].CompShareImageId != "b" {
		t.Errorf("JSON body: %s", body)
	}
	_, body = post(t, s.URL(), "application/json", `{"Action":`)
	if d := decode(t, body); d.RetCode != 160 {
		t.Errorf("broken JSON: %s", body)
	}
}

func TestParamsFromQuery(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}})
	resp, err := http.Get(s.URL() + "/any/path?" + form(signed(progressParams("img-1"), testPrivate)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d decoded
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || d.RetCode != 0 {
		t.Errorf("GET with query: %+v %v", d, err)
	}

	// Action only in the URL: it is not part of the signed body.
	p := progressParams("img-1")
	delete(p, "Action")
	_, body := post(t, s.URL()+"/?Action="+actionProgress, "application/x-www-form-urlencoded", form(signed(p, testPrivate)))
	if d := decode(t, body); d.RetCode != 0 || d.Action != actionProgress+"Response" {
		t.Errorf("Action from the URL: %s", body)
	}
}

func TestFaultEveryNth(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}, FaultEvery: 3, Fault: FaultHTTP503})
	for i := 1; i <= 7; i++ {
		resp, body := call(t, s, progressParams("img-1"))
		want := 200
		if i%3 == 0 {
			want = 503
		}
		if resp.StatusCode != want {
			t.Errorf("request %d: HTTP %d %s", i, resp.StatusCode, body)
		}
	}
	s.SetFault(2, FaultRetCode8433) // counts from here: requests 9 and 11
	for i := 8; i <= 11; i++ {
		_, body := call(t, s, progressParams("img-1"))
		want := 0
		if i == 9 || i == 11 {
			want = 8433
		}
		if d := decode(t, body); d.RetCode != want {
			t.Errorf("request %d: %s", i, body)
		}
	}
	s.SetFault(0, "")
	if _, body := call(t, s, progressParams("img-1")); decode(t, body).RetCode != 0 {
		t.Errorf("faults still on: %s", body)
	}

	var faults []Fault
	for _, r := range s.Requests() {
		faults = append(faults, r.Fault)
	}
	want := []Fault{"", "", FaultHTTP503, "", "", FaultHTTP503, "", "", FaultRetCode8433, "", FaultRetCode8433, ""}
	if len(faults) != len(want) {
		t.Fatalf("log faults %v, want %v", faults, want)
	}
	for i := range want {
		if faults[i] != want[i] {
			t.Errorf("log faults %v, want %v", faults, want)
			break
		}
	}
}

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		fault  Fault
		status int
		check  func(body string) bool
	}{
		{FaultHTTP500, 500, decodeOK},
		{FaultHTTP502, 502, decodeOK},
		{FaultHTTP504, 504, decodeOK},
		{FaultHTTP429, 429, decodeOK},
		{FaultHTML, 502, func(b string) bool { return strings.HasPrefix(b, "<html>") }},
		{FaultTruncated, 200, func(b string) bool {
			return !decodeOK(b) && strings.HasPrefix(b, `{"Action":"GetCompShareImageCreateProgressResponse"`)
		}},
		{FaultRetCodeString, 200, func(b string) bool { return strings.Contains(b, `"RetCode":"0"`) }},
		{FaultProcessOver100, 200, func(b string) bool { return strings.Contains(b, `"Process":112.5`) }},
		{FaultProcessNegative, 200, func(b string) bool { return strings.Contains(b, `"Process":-5`) }},
		{FaultNoDurations, 200, func(b string) bool {
			return decodeOK(b) && !strings.Contains(b, "Duration")
		}},
	}
	for _, tt := range tests {
		s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}, FaultEvery: 1, Fault: tt.fault})
		resp, body := call(t, s, progressParams("img-1"))
		if resp.StatusCode != tt.status || !tt.check(body) {
			t.Errorf("%s: HTTP %d %s", tt.fault, resp.StatusCode, body)
		}
		if resp.Header.Get(headerRequestUUID) == "" {
			t.Errorf("%s: no request id", tt.fault)
		}
		if log := s.Requests(); len(log) != 1 || log[0].Fault != tt.fault || log[0].HTTPStatus != tt.status {
			t.Errorf("%s: log %+v", tt.fault, log)
		}
	}
}

func decodeOK(body string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(body), &m) == nil
}

func TestFaultReset(t *testing.T) {
	s := startServer(t, Config{FaultEvery: 1, Fault: FaultReset})
	resp, err := http.Post(s.URL(), "application/x-www-form-urlencoded", strings.NewReader("Action=X"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got HTTP %d, want a broken connection", resp.StatusCode)
	}
	if log := s.Requests(); len(log) != 1 || log[0].Fault != FaultReset || log[0].HTTPStatus != 0 {
		t.Errorf("log %+v", log)
	}
}

func TestAlteringFaultsLeaveOtherAnswers(t *testing.T) {
	s := startServer(t, Config{FaultEvery: 1, Fault: FaultProcessOver100})
	_, body := call(t, s, progressParams("unknown"))
	if d := decode(t, body); d.RetCode != 230 {
		t.Errorf("got %s", body)
	}
	if log := s.Requests(); log[0].Fault != "" {
		t.Errorf("fault logged though not applied: %+v", log[0])
	}
}

func TestLatency(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}, Latency: 150 * time.Millisecond})
	began := time.Now()
	if _, body := call(t, s, progressParams("img-1")); decode(t, body).RetCode != 0 {
		t.Fatal(body)
	}
	if took := time.Since(began); took < 150*time.Millisecond {
		t.Errorf("answered after %v", took)
	}

	logged := make(chan Request, 1)
	s = startServer(t, Config{Latency: 5 * time.Second, OnRequest: func(r Request) { logged <- r }})
	req, _ := http.NewRequestWithContext(cancelOnArrival(t, s), http.MethodPost, s.URL(), strings.NewReader("Action=X"))
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	// The handler must notice the cancellation rather than sleep on: then
	// it would answer, and log the answer's HTTP status.
	if r := <-logged; r.HTTPStatus != 0 {
		t.Errorf("cancelled request not logged as unanswered: %+v", r)
	}
}

// cancelOnArrival returns a context cancelled once s has received a request:
// a client giving up before then might leave the handler nothing to notice.
func cancelOnArrival(t *testing.T, s *Server) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	go func() {
		for s.RequestCount() == 0 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	return ctx
}

func TestRequestLog(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{{ID: "img-1", Total: time.Minute}}})
	params := signed(progressParams("img-1"), testPrivate)
	req, _ := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(form(params)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "test-agent/1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	call(t, s, progressParams("nope"))

	log := s.Requests()
	if len(log) != 2 || s.RequestCount() != 2 {
		t.Fatalf("log %+v, count %d", log, s.RequestCount())
	}
	want := Request{
		Time: clock.Now(), Action: actionProgress, ImageID: "img-1", Region: testRegion, Zone: testZone,
		RequestID: resp.Header.Get(headerRequestUUID), UserAgent: "test-agent/1", Signature: fmt.Sprint(params["Signature"]), HTTPStatus: 200,
	}
	if log[0] != want {
		t.Errorf("log[0]\n got %+v\nwant %+v", log[0], want)
	}
	if log[1].RetCode != 230 || log[1].ImageID != "nope" || log[1].RequestID == log[0].RequestID {
		t.Errorf("log[1] %+v", log[1])
	}
	log[0].Action = "changed"
	if s.Requests()[0].Action != actionProgress {
		t.Error("Requests does not return a copy")
	}

	clock.Add(30 * time.Second)
	call(t, s, progressParams("img-1"))
	if got := s.Requests()[2].Process; got != 50 {
		t.Errorf("logged Process %v, want the 50 answered", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "img-0", Total: time.Minute}}, FaultEvery: 5, Fault: FaultHTTP502})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if i%4 == 0 {
				s.SetImage(Image{ID: "img-0", Total: time.Duration(i+1) * time.Second})
			}
			body := form(signed(progressParams("img-0"), testPrivate))
			resp, err := http.Post(s.URL(), "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadGateway {
				t.Errorf("HTTP %d", resp.StatusCode)
			}
			_ = s.Requests()
		})
	}
	wg.Wait()
	if n := s.RequestCount(); n != 40 || len(s.Requests()) != 40 {
		t.Errorf("count %d, log %d", n, len(s.Requests()))
	}
	faults := 0
	for _, r := range s.Requests() {
		if r.Fault != "" {
			faults++
		}
	}
	if faults != 8 {
		t.Errorf("%d faults in 40 requests, want 8", faults)
	}
}

func TestSetImage(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now})
	s.SetImage(Image{ID: "late", Total: 10 * time.Second}) // zero Start: now
	clock.Add(5 * time.Second)
	if _, body := call(t, s, progressParams("late")); decode(t, body).Process != 50 {
		t.Errorf("added image: %s", body)
	}
	s.SetImage(Image{ID: "late", Start: clock.Now().Add(-time.Hour), Total: 10 * time.Second})
	if _, body := call(t, s, progressParams("late")); decode(t, body).Process != 100 {
		t.Errorf("replaced image: %s", body)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ok := Config{PublicKey: "p", PrivateKey: "k"}
	tests := map[string]func(c *Config){
		"no public key":      func(c *Config) { c.PublicKey = "" },
		"no private key":     func(c *Config) { c.PrivateKey = "" },
		"unknown fault":      func(c *Config) { c.FaultEvery, c.Fault = 2, "http-418" },
		"interval, no fault": func(c *Config) { c.FaultEvery = 2 },
		"negative interval":  func(c *Config) { c.FaultEvery, c.Fault = -1, FaultReset },
		"negative latency":   func(c *Config) { c.Latency = -time.Second },
		"duplicate ids":      func(c *Config) { c.Images = []Image{{ID: "a"}, {ID: "a"}} },
		"empty id":           func(c *Config) { c.Images = []Image{{Total: time.Second}} },
		"negative total":     func(c *Config) { c.Images = []Image{{ID: "a", Total: -time.Second}} },
		"fail above 100":     func(c *Config) { c.Images = []Image{{ID: "a", FailAtPercent: 101}} },
		"negative factor":    func(c *Config) { c.Images = []Image{{ID: "a", EstimateFactor: -1}} },
	}
	for name, change := range tests {
		c := ok
		change(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(ok); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestRequestLogIsBounded(t *testing.T) {
	s, err := New(Config{PublicKey: testPublic, PrivateKey: testPrivate, Images: []Image{{ID: "img-1", Total: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	body := form(signed(progressParams("img-1"), testPrivate))
	const n = maxLog + maxLog/2 + 7
	for range n {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		s.ServeHTTP(httptest.NewRecorder(), r)
	}
	log := s.Requests()
	if s.RequestCount() != n || len(log) > maxLog || len(log) < maxLog/2 {
		t.Fatalf("count %d, log %d entries, want %d and at most %d", s.RequestCount(), len(log), n, maxLog)
	}
	if last := log[len(log)-1]; last.ImageID != "img-1" || last.RetCode != 0 {
		t.Fatalf("newest entry %+v", last)
	}
}

func TestSlowFaultOutlastsTheClient(t *testing.T) {
	logged := make(chan Request, 1)
	s := startServer(t, Config{FaultEvery: 1, Fault: FaultSlow, Images: []Image{{ID: "img-1", Total: time.Hour}}, OnRequest: func(r Request) { logged <- r }})
	req, _ := http.NewRequestWithContext(cancelOnArrival(t, s), http.MethodPost, s.URL()+"/", strings.NewReader(form(signed(progressParams("img-1"), testPrivate))))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a slow answer came back: HTTP %d after %v", resp.StatusCode, time.Since(start))
	}
	// The request is logged once the handler notices the client left.
	if r := <-logged; r.Fault != FaultSlow || r.HTTPStatus != 0 {
		t.Fatalf("logged %+v, want the slow fault and no answer", r)
	}
}
