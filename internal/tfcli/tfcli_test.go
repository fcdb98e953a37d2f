package tfcli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestCleanEnv(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin",
		"TF_LOG=TRACE",
		"TF_CLI_CONFIG_FILE=/home/u/.terraformrc",
		"TF_ACC=1",
		"COMPSHARE_PRIVATE_KEY=callers-private-key",
		"COMPSHARE_BASE_URL=https://api.example",
		"UCLOUD_PUBLIC_KEY=callers-public-key",
		"UCLOUD_PROFILE=work",
		"CHECKPOINT_TIMEOUT=10",
		"HOME=/home/u",
		"MY_TF_DIR=/srv", // a TF_ inside the name is not Terraform's
		"GOFLAGS=-mod=mod",
	}
	got := cleanEnv(environ, "/tmp/x/terraformrc")
	want := []string{
		"TF_CLI_CONFIG_FILE=/tmp/x/terraformrc", "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"PATH=/usr/bin", "HOME=/home/u", "MY_TF_DIR=/srv", "GOFLAGS=-mod=mod",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cleanEnv =\n%q\nwant\n%q", got, want)
	}
}

func TestDevOverrides(t *testing.T) {
	got := devOverrides("/tmp/compshare e2e/bin")
	want := `provider_installation {
  dev_overrides {
    "compshare/compshare" = "/tmp/compshare e2e/bin"
  }
  direct {}
}
`
	if got != want {
		t.Errorf("devOverrides =\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(RequiredProviders, fmt.Sprintf("source = %q", ProviderSource)) {
		t.Errorf("RequiredProviders does not name %s:\n%s", ProviderSource, RequiredProviders)
	}
}

// TestCommandEndsProcessGroup checks that the end of the context kills what
// the command started too, as a plugin of Terraform's would be: a child that
// survived would print after its sleep.
func TestCommandEndsProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cli := &CLI{Path: "sh"}
	cmd := cli.Command(ctx, t.TempDir(), nil, "-c", "(sleep 30; echo survived) & echo started >&2; wait")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if pgid, err := syscall.Getpgid(cmd.Process.Pid); err != nil || pgid != cmd.Process.Pid {
		t.Errorf("process group %d (%v), want its own, %d", pgid, err, cmd.Process.Pid)
	}
	if line, err := bufio.NewReader(stderr).ReadString('\n'); line != "started\n" {
		t.Fatalf("read %q (%v), want started", line, err)
	}

	cancel()
	// The pipe ends when every process holding it has.
	if out, err := io.ReadAll(stdout); len(out) > 0 || err != nil {
		t.Errorf("the command's child outlived it and printed %q (%v)", out, err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("Wait: %v, want killed", err)
	}
	if status, ok := exit.Sys().(syscall.WaitStatus); !ok || status.Signal() != syscall.SIGKILL {
		t.Errorf("Wait: %v, want killed", err)
	}
}

func TestCommandDirAndEnv(t *testing.T) {
	dir := t.TempDir()
	cli := &CLI{Path: "sh"}
	out, err := cli.Command(t.Context(), dir, []string{"SETTING=one", "SETTING=two"}, "-c", `pwd; echo "$SETTING"`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + "\ntwo\n"; string(out) != want {
		t.Errorf("output %q, want %q (the directory, and the later of two settings)", out, want)
	}
}

func TestLockedBufferConcurrentWrites(t *testing.T) {
	var buf LockedBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				_, _ = buf.Write([]byte("x"))
				_ = buf.String()
			}
		})
	}
	wg.Wait()
	if n := len(buf.String()); n != 8000 {
		t.Errorf("%d bytes kept, want 8000", n)
	}
}
