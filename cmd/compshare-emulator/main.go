// Command compshare-emulator serves a local Compshare API for trying the
// provider offline: image builds progress in real time, and faults and
// latency can be injected. It only listens on loopback addresses.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "compshare-emulator:", err)
		os.Exit(1)
	}
}

// errUsage marks flag errors, which the flag package has already printed.
var errUsage = errors.New("bad usage")

const imagesFileUsage = "JSON `file` of images: " +
	`{"images":[{"id":"compshareImage-x","total_seconds":60,"started_seconds_ago":15}]}; ` +
	`optional per image: "start" (RFC 3339, instead of started_seconds_ago), "region", "zone", ` +
	`"estimate_factor", "fail_at_percent", "failed_reason"`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("compshare-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		listen     = fs.String("listen", "127.0.0.1:0", "loopback `address` to listen on")
		publicKey  = fs.String("public-key", "", "API public `key` (default $COMPSHARE_PUBLIC_KEY)")
		privateKey = fs.String("private-key", "", "API private `key` (default $COMPSHARE_PRIVATE_KEY)")
		imagesFile = fs.String("images-file", "", imagesFileUsage)
		urlFile    = fs.String("url-file", "", "write the base URL to `path` once listening (removed on exit)")
		logging    = fs.Bool("log", false, "log one line per request to stderr")
		cfg        emulator.Config
		images     imageFlags
	)
	fs.Var(&images, "image", "image `ID[:TOTAL[:ELAPSED]]` that builds in TOTAL (default 60s) and started ELAPSED ago (default 0s); repeatable")
	fs.BoolVar(&cfg.DurationsAsStrings, "durations-as-strings", false, `answer TotalDuration and RemainingDuration as strings ("300") instead of integers`)
	fs.IntVar(&cfg.FaultEvery, "fault-every", 0, "inject -fault into every `N`th request")
	fs.StringVar((*string)(&cfg.Fault), "fault", "", fmt.Sprintf("fault `kind`, one of %v", emulator.FaultKinds()))
	fs.DurationVar(&cfg.Latency, "latency", 0, "delay before every answer, e.g. 200ms")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.Fault != "" && cfg.FaultEvery == 0 {
		return errors.New("-fault needs -fault-every")
	}
	// Flag defaults stay empty so that -h never shows a key taken from the environment.
	cfg.PublicKey = cmp.Or(*publicKey, getenv("COMPSHARE_PUBLIC_KEY"))
	cfg.PrivateKey = cmp.Or(*privateKey, getenv("COMPSHARE_PRIVATE_KEY"))
	cfg.Images = images
	if *imagesFile != "" {
		fromFile, err := readImages(*imagesFile)
		if err != nil {
			return err
		}
		cfg.Images = append(cfg.Images, fromFile...)
	}
	if *logging {
		logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
		cfg.OnRequest = func(r emulator.Request) {
			logger.Printf("%s image=%q region=%q zone=%q http=%d retcode=%d fault=%q id=%s",
				cmp.Or(r.Action, "-"), r.ImageID, r.Region, r.Zone, r.HTTPStatus, r.RetCode, r.Fault, r.RequestID)
		}
	}
	s, err := emulator.New(cfg)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	// Check the bound address, not the flag: names and "" can mean any interface.
	if addr, ok := ln.Addr().(*net.TCPAddr); !ok || !addr.IP.IsLoopback() {
		return fmt.Errorf("refusing to listen on %s: not a loopback address", ln.Addr())
	}
	url := "http://" + ln.Addr().String()
	if *urlFile != "" {
		if err := writeFileAtomic(*urlFile, url+"\n"); err != nil {
			return err
		}
		defer os.Remove(*urlFile)
	}

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintln(stdout, "compshare-emulator listening on", url)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil {
		return srv.Close() // requests still waiting out a long -latency
	}
	return nil
}

// imageFlags collects the -image flags.
type imageFlags []emulator.Image

func (f *imageFlags) String() string {
	if f == nil {
		return ""
	}
	ids := make([]string, len(*f))
	for i, img := range *f {
		ids[i] = img.ID
	}
	return strings.Join(ids, ",")
}

func (f *imageFlags) Set(spec string) error {
	img, err := parseImage(spec, time.Now())
	if err != nil {
		return err
	}
	*f = append(*f, img)
	return nil
}

// parseImage reads ID[:TOTAL[:ELAPSED]]; empty parts take their defaults.
func parseImage(spec string, now time.Time) (emulator.Image, error) {
	parts := strings.Split(spec, ":")
	if parts[0] == "" || len(parts) > 3 {
		return emulator.Image{}, fmt.Errorf("image %q: want ID[:TOTAL[:ELAPSED]]", spec)
	}
	durations := []time.Duration{time.Minute, 0} // TOTAL, ELAPSED
	for i, p := range parts[1:] {
		if p == "" {
			continue
		}
		d, err := time.ParseDuration(p)
		if err != nil {
			return emulator.Image{}, fmt.Errorf("image %q: %w", spec, err)
		}
		durations[i] = d
	}
	return emulator.Image{ID: parts[0], Total: durations[0], Start: now.Add(-durations[1])}, nil
}

func readImages(path string) ([]emulator.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var file struct {
		Images []emulator.Image `json:"images"`
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return file.Images, nil
}

// writeFileAtomic writes through a temporary file so that a script polling
// for the file never reads half of it.
func writeFileAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".url-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
