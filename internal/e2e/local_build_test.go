package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/tfcli"
)

// emulatorCommand finds the emulator command that examples/local-build/main.tf
// (and the README) start: "bin/compshare-emulator ..." over its comment lines.
var emulatorCommand = regexp.MustCompile(`bin/compshare-emulator (-listen 127\.0\.0\.1:18080 [^\n\\]*)\\\n#\s+([^\n]*)`)

// TestLocalBuildRecipeWithTheEmulatorProgram follows the README's own
// configuration recipe with the emulator built as a program: started with
// the recipe's flags (on a free port instead of 18080), the example
// configuration plans (its instance exists, its image is being built), and
// SIGTERM (kill) stops the emulator.
func TestLocalBuildRecipeWithTheEmulatorProgram(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t)
	text := copyExample(w, filepath.Join(examplesDir, "local-build"))
	m := emulatorCommand.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("examples/local-build/main.tf does not say how to start the emulator:\n%s", text)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Shell lines joined, runs of spaces as one.
	oneLine := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "\\\n", " ")), " ") }
	if command := oneLine("bin/compshare-emulator " + m[1] + " " + m[2]); !strings.Contains(oneLine(string(readme)), command) {
		t.Errorf("the README does not start the emulator as examples/local-build/main.tf does: %s", command)
	}

	dir := t.TempDir()
	program := filepath.Join(dir, "compshare-emulator")
	build := exec.Command("go", "build", "-trimpath", "-o", program, "./cmd/compshare-emulator")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/compshare-emulator: %v\n%s", err, out)
	}
	urlFile := filepath.Join(dir, "url")
	args := strings.Fields(strings.Replace(m[1], "127.0.0.1:18080", "127.0.0.1:0", 1) + " " + m[2])
	emulatorProcess := exec.Command(program, append(args, "-url-file", urlFile)...)
	var output tfcli.LockedBuffer
	emulatorProcess.Stdout, emulatorProcess.Stderr = &output, &output
	if err := emulatorProcess.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- emulatorProcess.Wait() }()
	t.Cleanup(func() { _ = emulatorProcess.Process.Kill() })
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == ""; {
		if time.Now().After(deadline) {
			t.Fatalf("the emulator wrote no url file: %s", output.String())
		}
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(urlFile)
		url = strings.TrimSpace(string(b))
	}

	w.write("main.tf", strings.Replace(text, "http://127.0.0.1:18080", url, 1))
	w.setEnv("COMPSHARE_PUBLIC_KEY=pub", "COMPSHARE_PRIVATE_KEY=priv")
	r := w.mustTerraform("plan", "-no-color", "-input=false")
	for _, want := range []string{"Image compshareImage-mine was still being built at plan time", "Plan: 2 to add, 0 to change, 0 to destroy"} {
		if !strings.Contains(flat(r.stdout), want) {
			t.Errorf("the plan does not say %q:\n%s", want, r)
		}
	}

	if err := emulatorProcess.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the emulator ended with %v after SIGTERM: %s", err, output.String())
		}
	case <-ctx.Done():
		t.Errorf("the emulator still runs 10 s after SIGTERM")
	}
}
