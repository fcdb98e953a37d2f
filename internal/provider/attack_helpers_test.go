package provider

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

// interceptedEmulator serves the emulator behind a handler that sees each
// request's Action first: intercept answers in place of the emulator, or
// returns false to let the emulator answer. It stands for a platform or a
// proxy that behaves in a way the emulator does not model.
func interceptedEmulator(t *testing.T, cfg emulator.Config, intercept func(action string, w http.ResponseWriter, r *http.Request, emu http.Handler) bool) (*emulator.Server, string) {
	t.Helper()
	cfg.PublicKey, cfg.PrivateKey = testPublicKey, testPrivateKey
	srv, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept(r.URL.Query().Get("Action"), w, r, srv) {
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return srv, hs.URL
}
