package compshare

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRefusedParameter(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		param      string
		notFound   bool
	}{
		{name: "image id", body: `{"RetCode":230,"Message":"Params [CompShareImageId] not available"}`, param: "CompShareImageId", notFound: true},
		{name: "image id in another case", body: `{"RetCode":230,"Message":"Params [compshareimageid] not available"}`, param: "compshareimageid", notFound: true},
		{name: "zone", body: `{"RetCode":230,"Message":"Params [Zone] not available"}`, param: "Zone"},
		{name: "region with spaces", body: `{"RetCode":230,"Message":"Params [ Region ] not available"}`, param: "Region"},
		{name: "no parameter named", body: `{"RetCode":230,"Message":"not available"}`, notFound: true},
		{name: "other code", body: `{"RetCode":160,"Message":"Params [CompShareImageId] missing"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := answers(t, tc.body)
			_, err := c.ImageProgress(t.Context(), "cn-sh2", "cn-wlcb-01", "compshareImage-x")
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if apiErr.RetCode == RetCodeNotAvailable && apiErr.Param != tc.param {
				t.Errorf("Param = %q, want %q", apiErr.Param, tc.param)
			}
			if IsNotFound(err) != tc.notFound {
				t.Errorf("IsNotFound = %v, want %v: %v", IsNotFound(err), tc.notFound, err)
			}
			if tc.param != "" && !strings.Contains(err.Error(), "parameter "+tc.param) {
				t.Errorf("error %q does not name the parameter %s", err, tc.param)
			}
		})
	}
}

func TestIsNotFoundOfBuiltErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		// Errors built by hand (fakes of other packages) carry no Param:
		// the message tells.
		{&Error{RetCode: 230, Message: "Params [CompShareImageId] not available"}, true},
		{&Error{RetCode: 230, Message: "Params [Zone] not available"}, false},
		{&Error{RetCode: 230, Param: "Zone", Message: "Params [CompShareImageId] not available"}, false},
		{&Error{RetCode: 230}, true},
		{&Error{NotListed: true}, true},
		{fmt.Errorf("wrapped: %w", &Error{NotListed: true}), true},
		{&Error{RetCode: 171}, false},
		{errors.New("Params [CompShareImageId] not available"), false},
	} {
		if got := IsNotFound(tc.err); got != tc.want {
			t.Errorf("IsNotFound(%#v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// secretKey has characters that JSON, HTML and URLs escape, so that each
// escaped form of it is tried.
const secretKey = "s3cr3t/Key+with=&<chars>"

// secretClient calls a server whose handler may echo secrets.
func secretClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := New(Config{PublicKey: "pub", PrivateKey: secretKey, BaseURL: url, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// assertNoSecret checks every text of err and of its chain.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var texts []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		texts = append(texts, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		texts = append(texts, apiErr.Message)
	}
	for _, text := range texts {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%q reveals %q", text, secret)
			}
		}
	}
	if !strings.Contains(err.Error(), redacted) {
		t.Errorf("error %q does not show where a secret was removed", err)
	}
}

func TestSecretsEchoedByTheServer(t *testing.T) {
	escapedJSON := strings.NewReplacer("/", `\/`, "&", `\u0026`, "<", `\u003c`, ">", `\u003e`).Replace(secretKey)
	for _, tc := range []struct {
		name   string
		status int
		body   func(signature string) string
	}{
		{name: "key in a RetCode message", body: func(string) string {
			return `{"RetCode":172,"Message":"signature mismatch for key ` + escapedJSON + `"}`
		}},
		{name: "signature in a RetCode message", body: func(sig string) string {
			return `{"RetCode":171,"Message":"Signature ` + sig + ` does not match"}`
		}},
		{name: "key in an HTML page", body: func(string) string {
			return "<html><body><pre>key=" + secretKey + " key=s3cr3t/Key+with=&amp;&lt;chars&gt;</pre></body></html>"
		}},
		{name: "key and signature in truncated JSON", body: func(sig string) string {
			return `{"RetCode":0,"Echo":"` + escapedJSON + `","Signature":"` + sig + `","Process":`
		}},
		{name: "key in a URL-encoded echo", body: func(string) string {
			return `{"RetCode":8433,"Message":"request PrivateKey=s3cr3t%2FKey%2Bwith%3D%26%3Cchars%3E"}`
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var signature string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				signature = r.PostForm.Get("Signature")
				_, _ = w.Write([]byte(tc.body(signature)))
			}))
			t.Cleanup(srv.Close)
			_, err := secretClient(t, srv.URL).ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
			if signature == "" {
				t.Fatal("the request carried no signature")
			}
			assertNoSecret(t, err, secretKey, "s3cr3t", signature)
		})
	}
}

// A server that answers garbage instead of HTTP makes Go's client quote
// that garbage in a network error.
func TestSecretInNetworkErrorText(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = bufio.NewReader(conn).ReadString('\n')
				_, _ = conn.Write([]byte(secretKey + "\r\n\r\n"))
			}()
		}
	}()
	_, err = secretClient(t, "http://"+ln.Addr().String()).ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if !strings.Contains(fmt.Sprint(err), "malformed HTTP") {
		t.Fatalf("error = %v, want a network error quoting the answer", err)
	}
	assertNoSecret(t, err, secretKey, "s3cr3t")
}

func TestRetCodeWithHTTPErrorStatus(t *testing.T) {
	// A server may send an error's RetCode with an HTTP error status; the
	// SDK drops that body, but the RetCode says what went wrong.
	for _, tc := range []struct {
		name, body          string
		status              int
		want                string
		notFound, transient bool
	}{
		{name: "unknown image", status: http.StatusBadRequest, body: `{"RetCode":230,"Message":"Params [CompShareImageId] not available"}`, notFound: true,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 400, RetCode 230 (the API refused the value of parameter CompShareImageId): Params [CompShareImageId] not available (request id req-a)`},
		{name: "bad zone", status: http.StatusNotFound, body: `{"RetCode":"230","Message":"Params [Zone] not available"}`,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 404, RetCode 230 (the API refused the value of parameter Zone): Params [Zone] not available (request id req-a)`},
		{name: "keys refused", status: http.StatusUnauthorized, body: `{"Action":"GetCompShareImageCreateProgressResponse","RetCode":171,"Message":"Signature VerifyAC Error"}`,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 401, RetCode 171: Signature VerifyAC Error (request id req-a)`},
		{name: "service busy", status: http.StatusServiceUnavailable, body: `{"RetCode":8433,"Message":"service error"}`, transient: true,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 503, RetCode 8433: service error (request id req-c)`},
		{name: "gateway page", status: http.StatusBadGateway, body: `<html>Bad Gateway</html>`, transient: true,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 502: Bad Gateway (request id req-c)`},
		{name: "not found behind a gateway error", status: http.StatusBadGateway, body: `{"RetCode":230,"Message":"Params [CompShareImageId] not available"}`, transient: true,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 502, RetCode 230 (the API refused the value of parameter CompShareImageId): Params [CompShareImageId] not available (request id req-c)`},
		{name: "keys refused behind a server error", status: http.StatusInternalServerError, body: `{"RetCode":171,"Message":"Signature VerifyAC Error"}`,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 500, RetCode 171: Signature VerifyAC Error (request id req-a)`},
		{name: "product RetCode with a client error", status: http.StatusBadRequest, body: `{"RetCode":8433,"Message":"bad request"}`,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 400, RetCode 8433: bad request (request id req-a)`},
		{name: "RetCode 0 with an error status", status: http.StatusBadRequest, body: `{"RetCode":0}`,
			want: `GetCompShareImageCreateProgress for image "compshareImage-x" failed: HTTP 400: Bad Request (request id req-a)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := answers(t, fmt.Sprint(tc.status, " ", tc.body))
			_, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v\nwant %s", err, tc.want)
			}
			if IsNotFound(err) != tc.notFound || IsTransient(err) != tc.transient || IsCredentialsRefused(err) != (tc.name == "keys refused") {
				t.Errorf("not found %v, transient %v, credentials refused %v", IsNotFound(err), IsTransient(err), IsCredentialsRefused(err))
			}
		})
	}
}

// base_url with https:// in front of a plain HTTP server is a setting to
// fix: not retried, and an error that says so.
func TestHTTPSBaseURLForPlainHTTPServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: strings.Replace(srv.URL, "http://", "https://", 1), MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if IsTransient(err) || err == nil || !strings.Contains(err.Error(), "the server answers plain HTTP: use http://") {
		t.Fatalf("error %v (transient %v)", err, IsTransient(err))
	}
}

// Nothing listening at the base URL fails the dial: "nothing answered",
// like any other failure to connect (no route, a dial timeout), and worth
// another try.
func TestUnreachableBaseURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	_ = l.Close()
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: closed})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
	if !IsUnreachable(err) || !IsTransient(err) {
		t.Errorf("error %v, unreachable %v, transient %v", err, IsUnreachable(err), IsTransient(err))
	}
}

// A base URL that redirects (a proxy sending http to https, or to another
// path) is said to redirect, with the Location; the request is not
// followed (a 301/302 would turn the POST into a bodiless GET, which the
// API answers with RetCode 171, "keys refused"), nor retried.
func TestBaseURLRedirects(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, tc := range []struct{ name, location, want string }{
			{"absolute", "TARGET/v2/?from=" + testPrivateKey, "TARGET/v2/"},
			{"relative", "/api/", "SELF/api/"},
		} {
			t.Run(fmt.Sprint(status, " ", tc.name), func(t *testing.T) {
				var followed, redirected atomic.Int32
				target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					followed.Add(1)
					_, _ = w.Write([]byte(`{"RetCode":171,"Message":"Signature VerifyAC Error"}`))
				}))
				t.Cleanup(target.Close)
				var self string
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/" {
						followed.Add(1)
						_, _ = w.Write([]byte(`{"RetCode":171,"Message":"Signature VerifyAC Error"}`))
						return
					}
					redirected.Add(1)
					w.Header().Set("X-UCLOUD-REQUEST-UUID", "req-r")
					http.Redirect(w, r, strings.NewReplacer("TARGET", target.URL, "SELF", self).Replace(tc.location), status)
				}))
				t.Cleanup(srv.Close)
				self = srv.URL
				want := strings.NewReplacer("TARGET", target.URL, "SELF", self).Replace(tc.want)
				c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL, MaxRetries: 3})
				if err != nil {
					t.Fatal(err)
				}
				for _, call := range []func() error{
					func() error {
						_, err := c.ImageProgress(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-x")
						return err
					},
					func() error {
						_, err := c.CreateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", NewImage{UHostID: "uhost-1", Name: "n"})
						return err
					},
				} {
					redirected.Store(0)
					err := call()
					var e *Error
					if !errors.As(err, &e) || !IsRedirected(err) || e.Redirect != want || e.Status != status {
						t.Fatalf("error %v (%+v), want a redirect to %s", err, e, want)
					}
					if IsCredentialsRefused(err) || IsTransient(err) || IsNotFound(err) {
						t.Errorf("error %v: credentials refused %v, transient %v, not found %v", err, IsCredentialsRefused(err), IsTransient(err), IsNotFound(err))
					}
					for _, m := range []string{"redirects to " + want, fmt.Sprintf("HTTP %d", status), "request id req-r"} {
						if !strings.Contains(err.Error(), m) {
							t.Errorf("error %q does not say %q", err, m)
						}
					}
					if strings.Contains(err.Error(), testPrivateKey) || strings.Contains(e.Redirect, testPrivateKey) {
						t.Errorf("error %q shows the private key the Location echoed", err)
					}
					if followed.Load() != 0 || redirected.Load() != 1 {
						t.Errorf("redirect followed %d times, asked %d times; want 0 and 1", followed.Load(), redirected.Load())
					}
				}
			})
		}
	}
}
