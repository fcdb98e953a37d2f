package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

// forecast is the plan warning's figures: "At plan time the image was 20 %
// built, about 40m0s left by the API's estimate; apply waits until it reaches 100 %".
var forecast = regexp.MustCompile(`At plan time the image was ([0-9.]+) % built, about ([0-9hms]+) left by the API's estimate; apply waits until it reaches 100 %`)

func TestPlanWarning(t *testing.T) {
	t.Parallel()
	const buildingID, completeID = "compshareImage-e2e-building", "compshareImage-e2e-complete"
	keys := newKeyPair(t)
	// The emulator's clock stands still: the subtests share it but wait for
	// a free slot of -parallel after it starts, for as long as other tests
	// take, and the build must still read 20 % when they plan.
	now := time.Now()
	srv := startEmulator(t, keys, emulator.Config{Now: func() time.Time { return now }, Images: []emulator.Image{
		{ID: buildingID, Start: now.Add(-10 * time.Minute), Total: 50 * time.Minute}, // 20 %, 40 minutes left
		{ID: completeID, Start: now.Add(-time.Hour), Total: 10 * time.Minute},
	}})

	plan := func(t *testing.T, config string) string {
		w := newWorkspace(t)
		w.setEnv(apiEnv(srv, keys)...)
		w.write("main.tf", config)
		r := w.mustTerraform("plan", "-no-color", "-input=false")
		if !strings.Contains(r.stdout, "compshare_image_wait.gpu will be created") {
			t.Fatalf("the wait is not planned for creation:\n%s", r)
		}
		return flat(r.stdout + r.stderr)
	}

	t.Run("building", func(t *testing.T) {
		t.Parallel()
		out := plan(t, waitConfig(buildingID, ""))
		if !strings.Contains(out, "Warning: Image "+buildingID+" was still being built at plan time") {
			t.Fatalf("no warning that the image is still being built:\n%s", out)
		}
		m := forecast.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("the warning gives no percent or expected wait matching %q:\n%s", forecast, out)
		}
		if pct, _ := strconv.ParseFloat(m[1], 64); pct < 20 || pct > 21 {
			t.Errorf("warning says %s %% built, want about 20", m[1])
		}
		if eta, err := time.ParseDuration(m[2]); err != nil || eta < 39*time.Minute || eta > 40*time.Minute {
			t.Errorf("warning says apply waits about %s, want about 40m (%v)", m[2], err)
		}
		if strings.Contains(out, "longer than timeouts.create") {
			t.Errorf("a 40-minute wait is not longer than the default 60m timeout:\n%s", out)
		}
	})

	t.Run("longer than timeout", func(t *testing.T) {
		t.Parallel()
		out := plan(t, waitConfig(buildingID, `timeouts = { create = "10m" }`))
		if !strings.Contains(out, "longer than timeouts.create (10m0s)") {
			t.Fatalf("no warning that the wait exceeds timeouts.create:\n%s", out)
		}
	})

	t.Run("complete", func(t *testing.T) {
		t.Parallel()
		out := plan(t, waitConfig(completeID, ""))
		if strings.Contains(out, "still being built") || forecast.MatchString(out) {
			t.Fatalf("a warning for a complete image:\n%s", out)
		}
	})
}

// A base_url where nothing answers (here a closed port) warns at plan, and
// the wait's error points at base_url instead of advising a longer timeout.
func TestNothingAnswersAtBaseURL(t *testing.T) {
	t.Parallel()
	closedURL := "http://" + refusingAddress(t)
	keys := newKeyPair(t)
	w := newWorkspace(t)
	w.setEnv("COMPSHARE_BASE_URL="+closedURL, "COMPSHARE_PUBLIC_KEY="+keys.public, "COMPSHARE_PRIVATE_KEY="+keys.private)
	w.write("main.tf", waitConfig("compshareImage-e2e-nowhere", `timeouts = { create = "10s" }`))
	r := w.terraform("apply", "-auto-approve", "-no-color", "-input=false")
	out := flat(r.stdout + r.stderr)
	if r.err == nil {
		t.Fatalf("apply succeeded against %s:\n%s", closedURL, r)
	}
	for _, want := range []string{
		"Warning: Cannot reach the Compshare API at plan",
		"Timed out waiting for image compshareImage-e2e-nowhere",
		"nothing answered at the API's address: check the provider's base_url (or COMPSHARE_BASE_URL)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "raise timeouts.create") {
		t.Errorf("advises a longer timeout when nothing answers:\n%s", out)
	}
}

// refusingAddress returns a loopback address where connections are refused:
// a port bound but not listening. A port merely closed again could be taken
// meanwhile by a parallel test's emulator or a Terraform plugin; this one
// stays reserved until the test ends.
func refusingAddress(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	inet, ok := sa.(*syscall.SockaddrInet4)
	if err != nil || !ok {
		t.Fatalf("bound to %v: %v", sa, err)
	}
	return "127.0.0.1:" + strconv.Itoa(inet.Port)
}
