package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
)

const (
	testPublic  = "pub-test-key"
	testPrivate = "priv-test-key"
	testRegion  = "cn-wlcb"
	testZone    = "cn-wlcb-01"
)

// fakeClock is an injectable Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.PublicKey == "" {
		cfg.PublicKey, cfg.PrivateKey = testPublic, testPrivate
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// signed adds PublicKey and a Signature made by the SDK's own signer.
func signed(params map[string]any, privateKey string) map[string]any {
	out := map[string]any{"PublicKey": testPublic}
	for k, v := range params {
		out[k] = v
	}
	out["Signature"] = auth.CalculateSignature(out, privateKey).Sign
	return out
}

func form(params map[string]any) string {
	v := url.Values{}
	for k, x := range params {
		v.Set(k, fmt.Sprint(x))
	}
	return v.Encode()
}

// call posts a signed form request, as the SDK does.
func call(t *testing.T, s *Server, params map[string]any) (*http.Response, string) {
	t.Helper()
	return post(t, s.URL()+"/?Action="+url.QueryEscape(asString(params["Action"])),
		"application/x-www-form-urlencoded", form(signed(params, testPrivate)))
}

func asString(v any) string { s, _ := v.(string); return s }

func post(t *testing.T, u, contentType, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// decoded is an answer decoded loosely, for assertions.
type decoded struct {
	Action            string
	RetCode           int
	Message           string
	Process           float64
	TotalDuration     *json.Number
	RemainingDuration *json.Number
	TotalCount        int
	ImageSet          []struct{ CompShareImageId, Name, Status, FailedReason string }
}

func decode(t *testing.T, body string) decoded {
	t.Helper()
	var d decoded
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return d
}

func progressParams(id string) map[string]any {
	return map[string]any{
		"Action": actionProgress, "Region": testRegion, "Zone": testZone, "CompShareImageId": id,
	}
}
