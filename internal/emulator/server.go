// Package emulator is a local Compshare API server for trying the provider
// offline and for its acceptance tests. It speaks the real wire format
// (signed form or JSON requests, UCloud-style JSON answers) for
// GetCompShareImageCreateProgress, the custom image lifecycle
// (CreateCompShareCustomImage, DescribeCompShareCustomImages,
// UpdateCompShareImage, TerminateCompShareCustomImage) and
// DescribeCompShareInstance. Image builds advance in real time along uneven
// shapes; the server models the platform's awkward behaviours (status lagging
// behind progress, ids unknown right after creation, throttling) and can
// inject faults and latency.
package emulator

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	actionProgress  = "GetCompShareImageCreateProgress"
	actionDescribe  = "DescribeCompShareCustomImages"
	actionCreate    = "CreateCompShareCustomImage"
	actionUpdate    = "UpdateCompShareImage"
	actionTerminate = "TerminateCompShareCustomImage"
	actionInstances = "DescribeCompShareInstance"

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

	FaultLimit     int           // >0: fault injection stops after this many faults (with FaultEvery 1: the first N answers)
	RetryAfter     time.Duration // >0: the http-429 and http-503 faults carry Retry-After (whole seconds, rounded up)
	RetryAfterDate bool          // Retry-After as an HTTP date instead of seconds
	RateLimit      float64       // >0: requests per second allowed per public key; beyond it, HTTP 429 with Retry-After
	RateBurst      int           // requests a key may make at once under RateLimit; 0: RateLimit rounded up, at least 1

	// Every image's id is unknown (RetCode 230) for its first UnknownAnswers answers and
	// during UnknownFor after the server gets it, unless the image sets its own values.
	UnknownAnswers int
	UnknownFor     time.Duration

	Instances       []Instance    // instances for DescribeCompShareInstance and CreateCompShareCustomImage
	NewBuild        Image         // how builds started by CreateCompShareCustomImage go; the request and instance set ID, Name, Description, Region, Zone, UHostID, Container, SourceGpuType, and Start is the creation; zero Total: built at once
	TerminateLinger time.Duration // a terminated image or instance stays listed this long, then is gone
	// ExtraZones are zones of DefaultRegion served beside DefaultZone (the
	// bench places each wait's image in a zone of its own); the platform's
	// own are cn-wlcb-01 and cn-sh2-02 (location.go).
	ExtraZones []string
	Fleet      Fleet // how instances made by CreateCompShareInstance behave (instance.go)
}

// Request is an entry of the request log: what was asked and how it was answered.
type Request struct {
	Time time.Time // arrival, by Config.Now

	Action, ImageID, Region, Zone, RequestID, UserAgent string
	// Signature is the request's signature, so that tests can make sure no
	// echo of it reaches what a user sees.
	Signature string

	RetCode    int     // RetCode of the JSON answer; 0 if none
	HTTPStatus int     // 0: nothing answered (reset, or the client gave up during Latency)
	Fault      Fault   // the fault that replaced or altered the answer
	Process    float64 // Process of a progress answer; 0 for other answers
	Throttled  bool    // refused with HTTP 429 by the RateLimit
}

// Server is the emulator; it is an http.Handler, safe for concurrent use.
type Server struct {
	cfg Config // read-only after New; the mutable state is below

	served served // regions and zones, from Config.ExtraZones

	mu          sync.Mutex
	images      []*imageState // in the order they were added
	instances   []Instance
	fleet       *fleet // the instance lifecycle (instance.go); made on first use
	newBuild    Image
	limiters    map[string]*rate.Limiter // by public key, under RateLimit
	fault       Fault
	faultEvery  int
	faultLimit  int // 0: no limit
	faultBase   int // request count when fault injection was configured
	faultsGiven int // faults injected since then
	count       int // requests received
	log         []Request

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
	switch {
	case cfg.FaultLimit < 0, cfg.RetryAfter < 0, cfg.RateLimit < 0, cfg.RateBurst < 0,
		cfg.UnknownAnswers < 0, cfg.UnknownFor < 0, cfg.TerminateLinger < 0:
		return nil, errors.New("emulator: negative FaultLimit, RetryAfter, RateLimit, RateBurst, UnknownAnswers, UnknownFor or TerminateLinger")
	case math.IsNaN(cfg.RateLimit) || math.IsInf(cfg.RateLimit, 0):
		return nil, errors.New("emulator: RateLimit must be a number")
	}
	if err := cfg.NewBuild.validateBuild(); err != nil {
		return nil, fmt.Errorf("emulator: new builds: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg: cfg, fault: cfg.Fault, faultEvery: cfg.FaultEvery, faultLimit: cfg.FaultLimit,
		newBuild: cfg.NewBuild, limiters: map[string]*rate.Limiter{}, served: servedWith(cfg.ExtraZones),
	}
	for _, img := range cfg.Images {
		if err := img.validate(s.served); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		if _, dup := s.find(img.ID); dup {
			return nil, fmt.Errorf("emulator: duplicate image id %q", img.ID)
		}
		s.images = append(s.images, s.appeared(img))
	}
	for _, inst := range cfg.Instances {
		if err := inst.validate(s.served); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		if slices.ContainsFunc(s.instances, func(x Instance) bool { return x.ID == inst.ID }) {
			return nil, fmt.Errorf("emulator: duplicate instance id %q", inst.ID)
		}
		s.instances = append(s.instances, inst)
	}
	s.cfg.Images, s.cfg.Instances = nil, nil // the server's state is the truth from now on
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

// ServeHTTP answers one API request, on any path and with any method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: s.cfg.Now(), RequestID: newRequestID(), UserAgent: r.UserAgent()}
	defer func() {
		// The log holds a request before its client can see the answer, or
		// the broken connection, so a test may read the log at once.
		s.record(rec)
		if rec.Fault == FaultReset {
			resetConnection(w)
		}
	}()
	w.Header().Set(headerRequestUUID, rec.RequestID)

	params, lists, parseErr := readParams(r)
	// The SDK also puts ?Action=X in the URL; the body wins.
	action := cmp.Or(params["Action"], r.URL.Query().Get("Action"))
	rec.Action, rec.ImageID, rec.Region, rec.Zone = action, params["CompShareImageId"], params["Region"], params["Zone"]
	rec.Signature = params["Signature"]

	fault := s.arrive()
	if !hold(r.Context(), s.cfg.Latency) || s.throttle(w, &rec, params["PublicKey"], action) ||
		s.interrupt(r.Context(), w, &rec, fault, action, params) {
		return
	}
	a := s.answer(action, query{params: params, lists: lists}, parseErr)
	if a.base().RetCode.n == 0 && s.loseAnswer(w, &rec, action) {
		return
	}
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
func (s *Server) answer(action string, req query, parseErr error) answer {
	switch {
	case parseErr != nil:
		return failure(action, 160, "Params parse error: "+parseErr.Error())
	case action == "":
		return failure(action, 160, "Missing params [Action]")
	case !s.authentic(req.params):
		return failure(action, 171, "Signature VerifyAC Error")
	}
	if refused := s.served.refusedLocation(action, req); refused != nil {
		return refused
	}
	handlers := map[string]func(query, time.Time) answer{
		actionProgress:  s.progress,
		actionDescribe:  s.describe,
		actionCreate:    s.create,
		actionUpdate:    s.update,
		actionTerminate: s.terminate,
		actionInstances: s.describeInstances,

		actionCreateInstance: s.createInstance,
		actionStartInstance:  s.startInstance,
		actionStopInstance:   s.stopInstance,
		actionRebootInstance: s.rebootInstance,
		actionResizeInstance: s.resizeInstance,
		actionReinstall:      s.reinstallInstance,
		actionTerminateInst:  s.terminateInstance,
		actionResetPassword:  s.resetPassword,
		actionRenameInstance: s.renameInstance,
	}
	if h := handlers[action]; h != nil {
		return h(req, s.cfg.Now())
	}
	return failure(action, 161, "Action ["+action+"] not found")
}

func (s *Server) authentic(params map[string]string) bool {
	want := signature(params, s.cfg.PrivateKey)
	keyOK := subtle.ConstantTimeCompare([]byte(params["PublicKey"]), []byte(s.cfg.PublicKey)) == 1
	signOK := subtle.ConstantTimeCompare([]byte(params["Signature"]), []byte(want)) == 1
	return keyOK && signOK
}
