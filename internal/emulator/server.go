// Package emulator is a local Compshare API server for trying the provider
// offline and for its acceptance tests. It speaks the real wire format
// (signed form or JSON requests, UCloud-style JSON answers) for
// GetCompShareImageCreateProgress and DescribeCompShareCustomImages, with image
// builds that advance in real time, and can inject faults and latency.
package emulator

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

const (
	actionProgress = "GetCompShareImageCreateProgress"
	actionDescribe = "DescribeCompShareCustomImages"

	headerRequestUUID = "X-UCLOUD-REQUEST-UUID"

	// maxLog bounds the request log; Requests returns at most this many, the newest.
	maxLog = 20000
)

// Config configures a Server.
type Config struct {
	PublicKey, PrivateKey string
	Images                []Image
	DurationsAsStrings    bool             // answer TotalDuration/RemainingDuration as "300" strings (what the SDK struct expects)
	FaultEvery            int              // >0: every Nth request (N, 2N, ...) gets Fault instead of a normal answer
	Fault                 Fault            // what FaultEvery injects
	Latency               time.Duration    // added before every answer; a client giving up ends the wait
	Now                   func() time.Time // nil: time.Now
	OnRequest             func(Request)    // optional: called with each request log entry as it is added
}

// Request is an entry of the request log: what was asked and how it was answered.
type Request struct {
	Time time.Time // arrival, by Config.Now

	Action, ImageID, Region, Zone, RequestID, UserAgent string

	RetCode    int     // RetCode of the JSON answer; 0 if none
	HTTPStatus int     // 0: nothing answered (reset, or the client gave up during Latency)
	Fault      Fault   // the fault that replaced or altered the answer
	Process    float64 // Process of a progress answer; 0 for other answers
}

// Server is the emulator; it is an http.Handler, safe for concurrent use.
type Server struct {
	cfg Config // read-only after New; the mutable state is below

	mu         sync.Mutex
	images     []Image // in the order they were added
	fault      Fault
	faultEvery int
	faultBase  int // request count when fault injection was configured
	count      int // requests received
	log        []Request

	srv *http.Server // set by Start
	url string
}

// New checks cfg and returns a Server ready to serve, e.g. through httptest.
// Images with a zero Start start now.
func New(cfg Config) (*Server, error) {
	if cfg.PublicKey == "" || cfg.PrivateKey == "" {
		return nil, errors.New("emulator: a public and a private key are required")
	}
	if err := checkFault(cfg.FaultEvery, cfg.Fault); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if cfg.Latency < 0 {
		return nil, errors.New("emulator: negative latency")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, fault: cfg.Fault, faultEvery: cfg.FaultEvery}
	for _, img := range cfg.Images {
		if err := img.validate(); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		if _, dup := s.find(img.ID); dup {
			return nil, fmt.Errorf("emulator: duplicate image id %q", img.ID)
		}
		s.images = append(s.images, s.started(img))
	}
	s.cfg.Images = nil // s.images is the truth from now on
	return s, nil
}

// Start creates a Server and serves it on a random loopback port until Close.
func Start(cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the base URL of a started server, like "http://127.0.0.1:PORT".
func (s *Server) URL() string { return s.url }

// Close stops a started server at once, cutting off requests in flight.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// SetImage adds img, or replaces the image with the same ID; a zero Start
// means now. An invalid image is a programming error: SetImage panics.
func (s *Server) SetImage(img Image) {
	if err := img.validate(); err != nil {
		panic("emulator: SetImage: " + err.Error())
	}
	img = s.started(img)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.images, func(x Image) bool { return x.ID == img.ID }); i >= 0 {
		s.images[i] = img
	} else {
		s.images = append(s.images, img)
	}
}

// SetFault changes fault injection: from now on every Nth request gets f,
// counting from this call. every 0 turns faults off. Bad arguments panic.
func (s *Server) SetFault(every int, f Fault) {
	if err := checkFault(every, f); err != nil {
		panic("emulator: SetFault: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultEvery, s.fault, s.faultBase = every, f, s.count
}

// CompletedAt is the moment the image reaches 100 %; false for an unknown
// image or one whose build fails.
func (s *Server) CompletedAt(id string) (time.Time, bool) {
	img, ok := s.find(id)
	if !ok {
		return time.Time{}, false
	}
	return img.completedAt()
}

// Requests returns a copy of the request log, in the order the answers ended.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// RequestCount is the number of requests received, including any in flight.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

func (s *Server) started(img Image) Image {
	if img.Start.IsZero() {
		img.Start = s.cfg.Now()
	}
	return img
}

func (s *Server) find(id string) (Image, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.images, func(x Image) bool { return x.ID == id })
	if i < 0 {
		return Image{}, false
	}
	return s.images[i], true
}

// arrive counts a request and returns the fault it is to get, if any.
func (s *Server) arrive() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if s.faultEvery > 0 && (s.count-s.faultBase)%s.faultEvery == 0 {
		return s.fault
	}
	return ""
}

func (s *Server) record(rec Request) {
	s.mu.Lock()
	if len(s.log) == maxLog {
		// Keep a long-running emulator's memory bounded: drop the older half.
		s.log = append(s.log[:0], s.log[maxLog/2:]...)
	}
	s.log = append(s.log, rec)
	s.mu.Unlock()
	if s.cfg.OnRequest != nil {
		s.cfg.OnRequest(rec)
	}
}

// hold delays the answer by d; false if the client gave up meanwhile.
func hold(ctx context.Context, d time.Duration) bool {
	if d == 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ServeHTTP answers one API request, on any path and with any method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: s.cfg.Now(), RequestID: newRequestID(), UserAgent: r.UserAgent()}
	defer func() { s.record(rec) }()
	w.Header().Set(headerRequestUUID, rec.RequestID)

	params, parseErr := readParams(r)
	// The SDK also puts ?Action=X in the URL; the body wins.
	action := cmp.Or(params["Action"], r.URL.Query().Get("Action"))
	rec.Action, rec.ImageID, rec.Region, rec.Zone = action, params["CompShareImageId"], params["Region"], params["Zone"]

	fault := s.arrive()
	if !hold(r.Context(), s.cfg.Latency) || s.interrupt(r.Context(), w, &rec, fault, action) {
		return
	}
	a := s.answer(action, params, parseErr)
	if distort(a, fault) {
		rec.Fault = fault
	}
	s.send(w, &rec, http.StatusOK, a)
}

// send writes a JSON answer, cut in half under the truncated fault.
func (s *Server) send(w http.ResponseWriter, rec *Request, status int, a answer) {
	body, err := json.Marshal(a)
	if err != nil {
		panic(err) // answers are plain structs: a bug
	}
	if rec.Fault == FaultTruncated {
		body = body[:len(body)/2]
	}
	rec.HTTPStatus, rec.RetCode = status, a.base().RetCode.n
	if p, ok := a.(*progressReply); ok {
		rec.Process = p.Process
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// answer is what the API says to a request; the checks come in the real API's order.
func (s *Server) answer(action string, params map[string]string, parseErr error) answer {
	switch {
	case parseErr != nil:
		return failure(action, 160, "Params parse error: "+parseErr.Error())
	case action == "":
		return failure(action, 160, "Missing params [Action]")
	case !s.authentic(params):
		return failure(action, 171, "Signature VerifyAC Error")
	}
	switch action {
	case actionProgress:
		return s.progress(params)
	case actionDescribe:
		return s.describe(params)
	}
	return failure(action, 161, "Action ["+action+"] not found")
}

func (s *Server) authentic(params map[string]string) bool {
	want := signature(params, s.cfg.PrivateKey)
	keyOK := subtle.ConstantTimeCompare([]byte(params["PublicKey"]), []byte(s.cfg.PublicKey)) == 1
	signOK := subtle.ConstantTimeCompare([]byte(params["Signature"]), []byte(want)) == 1
	return keyOK && signOK
}

// missing is the answer to the first required parameter absent, or nil.
func missing(action string, params map[string]string, names ...string) *reply {
	for _, n := range names {
		if params[n] == "" {
			return failure(action, 160, "Missing params ["+n+"]")
		}
	}
	return nil
}

func (img Image) servedIn(region, zone string) bool {
	return (img.Region == "" || img.Region == region) && (img.Zone == "" || img.Zone == zone)
}

func (s *Server) progress(params map[string]string) answer {
	if r := missing(actionProgress, params, "Region", "Zone", "CompShareImageId"); r != nil {
		return r
	}
	img, ok := s.find(params["CompShareImageId"])
	if !ok || !img.servedIn(params["Region"], params["Zone"]) {
		return failure(actionProgress, 230, "Params [CompShareImageId] not available")
	}
	p := img.progressAt(s.cfg.Now())
	return &progressReply{
		reply:             success(actionProgress),
		Process:           p.percent,
		TotalDuration:     s.seconds(p.total),
		RemainingDuration: s.seconds(p.remaining),
	}
}

func (s *Server) seconds(n int64) any {
	if s.cfg.DurationsAsStrings {
		return strconv.FormatInt(n, 10)
	}
	return n
}

func (s *Server) describe(params map[string]string) answer {
	if r := missing(actionDescribe, params, "Region", "Zone"); r != nil {
		return r
	}
	limit, err := intParam(params, "Limit", 20)
	if err != nil {
		return failure(actionDescribe, 230, "Params [Limit] not available")
	}
	offset, err := intParam(params, "Offset", 0)
	if err != nil {
		return failure(actionDescribe, 230, "Params [Offset] not available")
	}
	s.mu.Lock()
	images := slices.Clone(s.images)
	s.mu.Unlock()

	now := s.cfg.Now()
	items := []imageItem{} // [] rather than null when empty
	for _, img := range images {
		id := params["CompShareImageId"]
		if img.servedIn(params["Region"], params["Zone"]) && (id == "" || id == img.ID) {
			items = append(items, describeImage(img, now))
		}
	}
	total := len(items)
	first := min(offset, total)
	items = items[first : first+min(limit, 100, total-first)]
	return &describeReply{reply: success(actionDescribe), TotalCount: total, ImageSet: items}
}

// intParam reads an optional non-negative integer parameter; 0 or absent means def.
func intParam(params map[string]string, name string, def int) (int, error) {
	v := params[name]
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad %s", name)
	}
	return cmp.Or(n, def), nil
}

func describeImage(img Image, now time.Time) imageItem {
	item := imageItem{
		CompShareImageID: img.ID,
		Name:             img.ID,
		ImageType:        "Custom",
		Status:           "Making",
		CreateTime:       img.Start.Unix(),
	}
	switch p := img.progressAt(now); {
	case p.failed:
		item.Status = "UnAvailable"
		item.FailedReason = cmp.Or(img.FailedReason, "image build failed")
	case p.done:
		item.Status = "Available"
	}
	return item
}
