package emulator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Fault is a kind of misbehaviour injected in place of a normal answer.
type Fault string

// The fault kinds. The first and last groups replace the answer; the second
// alters the answer the request would otherwise get.
const (
	FaultHTTP500     Fault = "http-500"     // HTTP 500 with a JSON body
	FaultHTTP502     Fault = "http-502"     // HTTP 502 with a JSON body
	FaultHTTP503     Fault = "http-503"     // HTTP 503 with a JSON body
	FaultHTTP504     Fault = "http-504"     // HTTP 504 with a JSON body
	FaultHTTP429     Fault = "http-429"     // HTTP 429 with a JSON body
	FaultRetCode8433 Fault = "retcode-8433" // HTTP 200, RetCode 8433 (service error)
	FaultReset       Fault = "reset"        // connection closed with a TCP reset, no answer
	FaultHTML        Fault = "html"         // HTTP 502 with an HTML page, as a gateway sends
	FaultSlow        Fault = "slow"         // the answer comes only after slowAnswer, long after any sane request timeout

	FaultTruncated       Fault = "truncated"        // HTTP 200, the JSON cut in half
	FaultRetCodeString   Fault = "retcode-string"   // RetCode as a JSON string: "0"
	FaultProcessOver100  Fault = "process-over-100" // progress answers say Process 112.5
	FaultProcessNegative Fault = "process-negative" // progress answers say Process -5
	FaultNoDurations     Fault = "no-durations"     // progress answers lack TotalDuration and RemainingDuration
	FaultProcessNoise    Fault = "process-noise"    // progress answers' Process one float step off: 100 reads 100.00000000000001, 0 reads -5e-324

	FaultHTML200       Fault = "html-200"         // HTTP 200 with a 200 KB HTML maintenance page, as a proxy sends
	FaultEchoKey       Fault = "echo-private-key" // HTTP 200, RetCode 172 "signature mismatch for key <the private key>"
	FaultEchoSignature Fault = "echo-signature"   // HTTP 200, RetCode 171 with the request's Signature in the message
)

// FaultKinds lists every fault kind.
func FaultKinds() []Fault {
	return []Fault{
		FaultHTTP500, FaultHTTP502, FaultHTTP503, FaultHTTP504, FaultHTTP429, FaultRetCode8433,
		FaultReset, FaultHTML, FaultSlow, FaultTruncated, FaultRetCodeString, FaultProcessOver100,
		FaultProcessNegative, FaultNoDurations, FaultProcessNoise, FaultHTML200, FaultEchoKey, FaultEchoSignature,
	}
}

var faultStatus = map[Fault]int{
	FaultHTTP500: http.StatusInternalServerError,
	FaultHTTP502: http.StatusBadGateway,
	FaultHTTP503: http.StatusServiceUnavailable,
	FaultHTTP504: http.StatusGatewayTimeout,
	FaultHTTP429: http.StatusTooManyRequests,
}

func checkFault(every int, f Fault) error {
	if every < 0 {
		return fmt.Errorf("negative fault interval %d", every)
	}
	if every > 0 && f == "" {
		return errors.New("a fault interval needs a fault kind")
	}
	if f != "" && !slices.Contains(FaultKinds(), f) {
		return fmt.Errorf("unknown fault kind %q (known: %v)", f, FaultKinds())
	}
	return nil
}

// slowAnswer is how long the slow fault holds an answer back.
const slowAnswer = 20 * time.Second

const gatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// maintenancePage is a proxy's maintenance page, padded to about 200 KB as real
// ones are with inline styles and scripts.
var maintenancePage = "<!DOCTYPE html>\n<html>\n<head><title>System maintenance</title>\n<style>\n" +
	strings.Repeat("/* ............................................................... */\n", 200<<10/68) +
	"</style></head>\n<body><h1>The service is under maintenance</h1><p>Please try again later.</p></body>\n</html>\n"

// interrupt answers instead of the API for the faults that replace the answer,
// and reports whether f was one of them.
func (s *Server) interrupt(ctx context.Context, w http.ResponseWriter, rec *Request, f Fault, action string, params map[string]string) bool {
	switch status, isHTTP := faultStatus[f]; {
	case isHTTP:
		rec.Fault = f
		if s.cfg.RetryAfter > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
			s.retryAfter(w, s.cfg.RetryAfter)
		}
		s.send(w, rec, status, failure(action, status, http.StatusText(status)))
	case f == FaultRetCode8433:
		rec.Fault = f
		s.send(w, rec, http.StatusOK, failure(action, 8433, "Internal service error, please try again later"))
	case f == FaultEchoKey:
		rec.Fault = f
		s.send(w, rec, http.StatusOK, failure(action, 172, "signature mismatch for key "+s.cfg.PrivateKey))
	case f == FaultEchoSignature:
		rec.Fault = f
		s.send(w, rec, http.StatusOK, failure(action, 171, "Signature VerifyAC Error: signature "+params["Signature"]+" does not match"))
	case f == FaultHTML:
		rec.Fault, rec.HTTPStatus = f, http.StatusBadGateway
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, gatewayPage)
	case f == FaultHTML200:
		rec.Fault, rec.HTTPStatus = f, http.StatusOK
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, maintenancePage)
	case f == FaultReset:
		rec.Fault = f // ServeHTTP resets the connection once the request is logged
	case f == FaultSlow:
		rec.Fault = f
		// A client still waiting then gets the normal answer.
		return !hold(ctx, slowAnswer)
	default:
		return false
	}
	return true
}

// distort applies the faults that alter an answer, and reports whether f did.
// The Process and duration faults only touch successful progress answers.
func distort(a answer, f Fault) bool {
	p, ok := a.(*progressReply)
	progressOK := ok && p.RetCode.n == 0
	switch {
	case f == FaultTruncated: // done by send
	case f == FaultRetCodeString:
		a.base().RetCode.quoted = true
	case f == FaultProcessOver100 && progressOK:
		p.Process = 112.5
	case f == FaultProcessNegative && progressOK:
		p.Process = -5
	case f == FaultNoDurations && progressOK:
		p.TotalDuration, p.RemainingDuration = nil, nil
	case f == FaultProcessNoise && progressOK:
		p.Process = math.Nextafter(p.Process, math.Copysign(math.Inf(1), p.Process-50))
	default:
		return false
	}
	return true
}

// retryAfter sets Retry-After to d: whole seconds rounded up, or an HTTP date.
func (s *Server) retryAfter(w http.ResponseWriter, d time.Duration) {
	if s.cfg.RetryAfterDate {
		// An HTTP date has whole seconds: round up so that the client never
		// comes back early. A client counts it from the answer's Date (RFC
		// 9110), which must come from the same clock: the server's own Date
		// is the wall clock's, not Config.Now's.
		now := s.cfg.Now()
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		w.Header().Set("Retry-After", now.Add(d+time.Second-1).UTC().Format(http.TimeFormat))
		return
	}
	w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10))
}

// maxLimiters bounds the rate limiters kept, one per public key seen.
const maxLimiters = 1000

// throttle refuses a request beyond its public key's RateLimit with HTTP 429 and
// the time until the key may ask again, and reports whether it did.
func (s *Server) throttle(w http.ResponseWriter, rec *Request, key, action string) bool {
	if s.cfg.RateLimit == 0 {
		return false
	}
	now := s.cfg.Now()
	s.mu.Lock()
	lim := s.limiters[key]
	if lim == nil {
		if len(s.limiters) >= maxLimiters {
			clear(s.limiters) // bounded memory against requests with ever new keys
		}
		burst := cmp.Or(s.cfg.RateBurst, max(1, int(math.Ceil(s.cfg.RateLimit))))
		lim = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), burst)
		s.limiters[key] = lim
	}
	allowed := lim.AllowN(now, 1)
	var wait time.Duration
	if !allowed {
		r := lim.ReserveN(now, 1)
		wait = r.DelayFrom(now)
		r.CancelAt(now)
	}
	s.mu.Unlock()
	if allowed {
		return false
	}
	rec.Throttled = true
	s.retryAfter(w, wait)
	s.send(w, rec, http.StatusTooManyRequests, failure(action, http.StatusTooManyRequests, http.StatusText(http.StatusTooManyRequests)))
	return true
}

// resetConnection drops the connection with a TCP reset, as a crashing proxy would.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, recorders): abort the response instead.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST instead of FIN
	}
	_ = conn.Close()
}

// SetFault changes fault injection: from now on every Nth request gets f,
// counting from this call, without limit. every 0 turns faults off. Bad
// arguments panic.
func (s *Server) SetFault(every int, f Fault) {
	if err := checkFault(every, f); err != nil {
		panic("emulator: SetFault: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultEvery, s.fault, s.faultLimit, s.faultBase, s.faultsGiven = every, f, 0, s.count, 0
}

// SetFaultBurst makes the next n requests get f, then turns faults off.
// Bad arguments panic.
func (s *Server) SetFaultBurst(n int, f Fault) {
	if err := checkFault(n, f); err != nil || n == 0 {
		panic(fmt.Sprintf("emulator: SetFaultBurst(%d, %q): %v", n, f, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultEvery, s.fault, s.faultLimit, s.faultBase, s.faultsGiven = 1, f, n, s.count, 0
}

// arrive counts a request and returns the fault it is to get, if any.
func (s *Server) arrive() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if s.faultEvery > 0 && (s.count-s.faultBase)%s.faultEvery == 0 && (s.faultLimit == 0 || s.faultsGiven < s.faultLimit) {
		s.faultsGiven++
		return s.fault
	}
	return ""
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
