package emulator

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/buildshape"
)

func TestShapes(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Percent at 0, 10, 25, 50, 60, 90 and 99 % of a 100 s build.
	tests := map[Shape][7]float64{
		"":             {0, 10, 25, 50, 60, 90, 99},
		ShapeStraight:  {0, 10, 25, 50, 60, 90, 99},
		ShapeChunks:    {0, 0, 25, 50, 50, 75, 75},
		ShapeFastStart: {0, 27.1, 57.81, 87.5, 93.6, 99.9, 99.99},
		ShapeSlowStart: {0, 0.1, 1.56, 12.5, 21.6, 72.9, 97.03},
		ShapeTail99:    {0, 24.75, 61.87, 99, 99, 99, 99},
		ShapeQueued:    {0, 0, 0, 28.57, 42.86, 85.71, 98.57},
		ShapePause:     {0, 14.29, 35.71, 50, 50, 85.71, 98.57},
	}
	at := [7]float64{0, 10, 25, 50, 60, 90, 99}
	for shape, want := range tests {
		img := Image{ID: "i", Start: start, Total: 100 * time.Second, Shape: shape}
		for i, sec := range at {
			if got := img.progressAt(start.Add(seconds(sec))).percent; got != want[i] {
				t.Errorf("%q at %v s: %v %%, want %v", shape, sec, got, want[i])
			}
		}
	}
}

// Every shape grows without going back, stays below 100 until the build ends and
// reads 100 from then on.
func TestShapesEndExactlyAtTotal(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, shape := range ShapeNames() {
		img := Image{ID: "i", Start: start, Total: 60 * time.Second, Shape: shape}
		last := 0.0
		for d := time.Duration(0); d < img.Total; d += 250 * time.Millisecond {
			p := img.progressAt(start.Add(d))
			if p.percent < last || p.percent >= 100 || p.done {
				t.Fatalf("%s at %v: %+v after %v %%", shape, d, p, last)
			}
			last = p.percent
		}
		if p := img.progressAt(start.Add(img.Total)); p.percent != 100 || !p.done {
			t.Errorf("%s at the end: %+v", shape, p)
		}
		if done, ok := img.completedAt(); !ok || !done.Equal(start.Add(img.Total)) {
			t.Errorf("%s completes at %v", shape, done)
		}
	}
}

func TestEstimateModes(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	build := func(mode EstimateMode, change func(*Image)) Image {
		img := Image{ID: "i", Start: start, Total: 100 * time.Second, Estimate: mode}
		if change != nil {
			change(&img)
		}
		return img
	}
	tests := []struct {
		name             string
		img              Image
		at               float64 // seconds after Start
		total, remaining int64
	}{
		{"clock", build("", nil), 40, 100, 60},
		{"clock named", build(EstimateClock, nil), 40, 100, 60},
		{"clock done", build(EstimateClock, nil), 150, 100, 0},
		{"clock off by 2", build(EstimateClock, func(i *Image) { i.EstimateFactor = 2 }), 40, 200, 160},
		{"extrapolate at 0", build(EstimateExtrapolate, func(i *Image) { i.Shape = ShapeQueued }), 20, 0, 0},
		{"extrapolate straight", build(EstimateExtrapolate, nil), 25, 100, 75},
		{"extrapolate slow start", build(EstimateExtrapolate, func(i *Image) { i.Shape = ShapeSlowStart }), 50, 400, 350},
		{"extrapolate done", build(EstimateExtrapolate, nil), 150, 150, 0},
		{"frozen at the start", build(EstimateStale, nil), 70, 100, 100},
		{"frozen after the end", build(EstimateStale, nil), 500, 100, 100},
		{"frozen off by 1.5", build(EstimateStale, func(i *Image) { i.EstimateFactor = 1.5 }), 70, 150, 150},
		{"refreshed every 30 s", build(EstimateStale, func(i *Image) { i.EstimateRefresh = 30 * time.Second }), 70, 100, 40},
		{"refreshed just before", build(EstimateStale, func(i *Image) { i.EstimateRefresh = 30 * time.Second }), 89.9, 100, 40},
		{"refreshed just after", build(EstimateStale, func(i *Image) { i.EstimateRefresh = 30 * time.Second }), 90, 100, 10},
	}
	for _, tt := range tests {
		p := tt.img.progressAt(start.Add(seconds(tt.at)))
		if !p.estimate || p.total != tt.total || p.remaining != tt.remaining {
			t.Errorf("%s at %v s: %+v, want total %d remaining %d", tt.name, tt.at, p, tt.total, tt.remaining)
		}
	}

	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{{ID: "none", Total: time.Minute, Estimate: EstimateNone}}})
	clock.Add(30 * time.Second)
	_, body := call(t, s, progressParams("none"))
	if d := decode(t, body); d.RetCode != 0 || d.Process != 50 || strings.Contains(body, "Duration") {
		t.Errorf("estimate none: %s", body)
	}
}

// describeOne is the one entry DescribeCompShareCustomImages lists for id.
func describeOne(t *testing.T, s *Server, id string) imageEntry {
	t.Helper()
	_, body := call(t, s, map[string]any{"Action": actionDescribe, "Region": testRegion, "Zone": testZone, "CompShareImageId": id})
	var d struct {
		RetCode  int
		ImageSet []imageEntry
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil || d.RetCode != 0 || len(d.ImageSet) != 1 {
		t.Fatalf("describe %s: %s", id, body)
	}
	return d.ImageSet[0]
}

// imageEntry decodes an ImageSet entry with the wire types, for exact assertions.
type imageEntry struct {
	CompShareImageId, Name, Description, ImageType, Status, Container, SourceGpuType string
	FailedReason                                                                     *string // nil: not sent
	Size, Visibility                                                                 int
	CreateTime                                                                       int64
	Tags                                                                             []string
}

func (e imageEntry) reason() string {
	if e.FailedReason == nil {
		return "<absent>"
	}
	return *e.FailedReason
}

func TestFailureAtAMoment(t *testing.T) {
	clock := newClock()
	start := clock.Now()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{
		{ID: "at-12s", Total: time.Minute, FailAt: 12 * time.Second, FailedReason: "disk full"},
		{ID: "chunks-30", Total: 100 * time.Second, Shape: ShapeChunks, FailAtPercent: 30},
		{ID: "offline", Total: time.Minute, FailAt: 30 * time.Second, FailStatus: StatusOffline, NoFailedReason: true},
		{ID: "no-reason", Total: time.Minute, FailAt: 30 * time.Second, NoFailedReason: true},
	}})
	for _, id := range []string{"at-12s", "chunks-30", "offline", "no-reason"} {
		if _, ok := s.CompletedAt(id); ok {
			t.Errorf("%s: a failing build completes", id)
		}
		if _, ok := s.UsableAt(id); ok {
			t.Errorf("%s: a failing build becomes usable", id)
		}
	}

	clock.Set(start.Add(11 * time.Second))
	if e := describeOne(t, s, "at-12s"); e.Status != StatusMaking {
		t.Errorf("before failing: %+v", e)
	}
	clock.Set(start.Add(59 * time.Second))
	_, body := call(t, s, progressParams("at-12s"))
	if d := decode(t, body); d.Process != 20 || d.RemainingDuration.String() != "48" {
		t.Errorf("progress frozen at the failure: %s", body)
	}
	if e := describeOne(t, s, "at-12s"); e.Status != StatusUnAvailable || e.reason() != "disk full" {
		t.Errorf("failed: %+v", e)
	}
	// Chunks reach 30 % only by jumping to 50 at half time, and freeze there.
	_, body = call(t, s, progressParams("chunks-30"))
	if d := decode(t, body); d.Process != 50 {
		t.Errorf("chunks failing at 30 %%: %s", body)
	}
	if e := describeOne(t, s, "offline"); e.Status != StatusOffline || e.reason() != "" {
		t.Errorf("offline: %+v", e)
	}
	if e := describeOne(t, s, "no-reason"); e.Status != StatusUnAvailable || e.reason() != "" {
		t.Errorf("failed without a reason: %+v", e)
	}
}

func TestStatusLagsBehindProgress(t *testing.T) {
	clock := newClock()
	start := clock.Now()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{
		{ID: "lag", Total: time.Minute, AvailableAfter: 20 * time.Second},
		{ID: "forced", Total: time.Minute, Status: "Reviewing"},
	}})
	if done, ok := s.CompletedAt("lag"); !ok || !done.Equal(start.Add(time.Minute)) {
		t.Errorf("CompletedAt %v %v", done, ok)
	}
	if usable, ok := s.UsableAt("lag"); !ok || !usable.Equal(start.Add(80*time.Second)) {
		t.Errorf("UsableAt %v %v", usable, ok)
	}
	if _, ok := s.UsableAt("forced"); ok {
		t.Error("an image with a forced status is usable")
	}
	if _, ok := s.UsableAt("unknown"); ok {
		t.Error("an unknown image is usable")
	}

	clock.Set(start.Add(70 * time.Second))
	_, body := call(t, s, progressParams("lag"))
	if d := decode(t, body); d.Process != 100 {
		t.Errorf("progress: %s", body)
	}
	if e := describeOne(t, s, "lag"); e.Status != StatusMaking {
		t.Errorf("at 100 %% but before AvailableAfter: %+v", e)
	}
	clock.Set(start.Add(80 * time.Second))
	if e := describeOne(t, s, "lag"); e.Status != StatusAvailable {
		t.Errorf("after AvailableAfter: %+v", e)
	}
	if e := describeOne(t, s, "forced"); e.Status != "Reviewing" {
		t.Errorf("forced status: %+v", e)
	}
}

func TestBuildJSON(t *testing.T) {
	var img Image
	err := json.Unmarshal([]byte(`{"id":"x","total_seconds":60,"shape":"tail-99","estimate":"stale",
		"estimate_refresh_seconds":30,"fail_at_seconds":45,"fail_status":"Offline","no_failed_reason":true,
		"available_after_seconds":5,"unknown_answers":2,"unknown_for_seconds":1.5,"status":"Reviewing",
		"name":"n","description":"d","tags":["a","b"],"size_mb":2048,"container":true,"source_gpu_type":"4090",
		"visibility":1,"uhost_id":"uhost-1"}`), &img)
	want := Image{
		ID: "x", Total: time.Minute, Shape: ShapeTail99, Estimate: EstimateStale, EstimateRefresh: 30 * time.Second,
		FailAt: 45 * time.Second, FailStatus: StatusOffline, NoFailedReason: true, AvailableAfter: 5 * time.Second,
		UnknownAnswers: 2, UnknownFor: 1500 * time.Millisecond, Status: "Reviewing", Name: "n", Description: "d",
		Tags: []string{"a", "b"}, SizeMB: 2048, Container: true, SourceGpuType: "4090", Visibility: 1, UHostID: "uhost-1",
	}
	if err != nil || !reflect.DeepEqual(img, want) {
		t.Fatalf("decoded\n got %+v %v\nwant %+v", img, err, want)
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var back Image
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, want) {
		t.Errorf("round trip %s: %+v %v", b, back, err)
	}
}

func TestBadBuilds(t *testing.T) {
	tests := map[string]Image{
		"unknown shape":             {ID: "a", Total: time.Second, Shape: "zigzag"},
		"unknown estimate":          {ID: "a", Total: time.Second, Estimate: "guess"},
		"refresh without stale":     {ID: "a", Total: time.Second, EstimateRefresh: time.Second},
		"negative refresh":          {ID: "a", Total: time.Second, Estimate: EstimateStale, EstimateRefresh: -time.Second},
		"fail after the end":        {ID: "a", Total: time.Second, FailAt: 2 * time.Second},
		"fail twice":                {ID: "a", Total: time.Second, FailAt: time.Millisecond, FailAtPercent: 5},
		"fail status":               {ID: "a", Total: time.Second, FailAt: time.Millisecond, FailStatus: "Broken"},
		"negative available after":  {ID: "a", Total: time.Second, AvailableAfter: -time.Second},
		"negative unknown answers":  {ID: "a", Total: time.Second, UnknownAnswers: -1},
		"negative unknown duration": {ID: "a", Total: time.Second, UnknownFor: -time.Second},
		"visibility":                {ID: "a", Total: time.Second, Visibility: 2},
	}
	for name, img := range tests {
		if _, err := New(Config{PublicKey: "p", PrivateKey: "k", Images: []Image{img}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
		img.ID = ""
		if _, err := New(Config{PublicKey: "p", PrivateKey: "k", NewBuild: img}); err == nil {
			t.Errorf("%s: accepted as NewBuild", name)
		}
	}
}

// The emulator serves exactly the shapes that the schedule's tests simulate.
func TestShapeNamesAreBuildshapes(t *testing.T) {
	var want []Shape
	for _, s := range buildshape.Shapes {
		want = append(want, Shape(s.Name))
	}
	if got := ShapeNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("ShapeNames() = %v, buildshape has %v", got, want)
	}
}
