// Command compshare-emulator serves a local Compshare API for trying the
// provider offline: image builds progress in real time along uneven shapes,
// images can be created from seeded instances, and faults, throttling and
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

// imagesFileUsage is -images-file's help, one line per part: flag prints
// each line indented under the flag.
const imagesFileUsage = "JSON `file` of images, instances and how new builds go, such as\n" +
	`  {"images":    [{"id":"compshareImage-x","total_seconds":60,"started_seconds_ago":15}],` + "\n" +
	`   "instances": [{"id":"uhost-x","state":"Running","container":false,"gpu_type":"4090","gpu":1}],` + "\n" +
	`   "new_build": {"total_seconds":120,"shape":"chunks"}}` + "\n" +
	"optional per image (and in new_build):\n" +
	`  where and when: "region", "zone" (default cn-wlcb, cn-wlcb-01), "start" (RFC 3339, instead of started_seconds_ago)` + "\n" +
	`  how it grows:   "shape", "estimate", "estimate_factor", "estimate_refresh_seconds" (stale estimates)` + "\n" +
	`  how it fails:   "fail_at_percent" or "fail_at_seconds", "fail_status" (UnAvailable or Offline),` + "\n" +
	`                  "failed_reason", "no_failed_reason"` + "\n" +
	`  how it ends:    "available_after_seconds" (Making at 100 % this long), "status" (forced status word)` + "\n" +
	`  unknown ids:    "unknown_answers", "unknown_for_seconds" (id unknown right after it appears)` + "\n" +
	`  listed as:      "name", "description", "tags", "size_mb", "container", "source_gpu_type", "visibility", "uhost_id"` + "\n" +
	`per instance: "id", "name", "state", "gpu_type", "gpu", "container", "region", "zone"`

// usageHeader comes before the flags in -h.
const usageHeader = `Usage: compshare-emulator [flags]

Serves a local Compshare API on a loopback address, and prints its base URL. Images:
GetCompShareImageCreateProgress, CreateCompShareCustomImage, DescribeCompShareCustomImages,
UpdateCompShareImage, TerminateCompShareCustomImage. GPU instances: CreateCompShareInstance,
DescribeCompShareInstance, Start/Stop/Reboot/Resize/Reinstall/TerminateCompShareInstance,
ResetCompShareInstancePassword, ModifyCompShareInstanceName.

Examples:
  # a 300 s build, 60 s in, on a fixed port
  compshare-emulator -listen 127.0.0.1:18080 -public-key pub -private-key priv \
    -image compshareImage-a:300s:60s
  # an instance to build images of, each build taking 90 s
  compshare-emulator -instance uhost-mine -new-build 90s
  # a build in chunks whose estimate is extrapolated from its progress
  compshare-emulator -image compshareImage-b:120s:0s:chunks:extrapolate
  # throttled: every 3rd request gets HTTP 429 with Retry-After: 2
  compshare-emulator -fault-every 3 -fault http-429 -retry-after 2s
  # instances and images from a file; ids unknown for 2 answers after they appear
  compshare-emulator -images-file world.json -unknown-answers 2

Keys default to $COMPSHARE_PUBLIC_KEY and $COMPSHARE_PRIVATE_KEY. Then point the provider at it:
  export COMPSHARE_BASE_URL=http://127.0.0.1:18080 COMPSHARE_PUBLIC_KEY=pub COMPSHARE_PRIVATE_KEY=priv
It serves the regions and zones cn-wlcb (cn-wlcb-01) and cn-sh2 (cn-sh2-02); an image or instance
without a region is in cn-wlcb-01. Ctrl-C or SIGTERM (kill PID) stops it.

Flags:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("compshare-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	var (
		listen     = fs.String("listen", "127.0.0.1:0", "loopback `address` to listen on; a fixed port such as 127.0.0.1:18080 keeps the URL the same across runs")
		publicKey  = fs.String("public-key", "", "API public `key` (default $COMPSHARE_PUBLIC_KEY)")
		privateKey = fs.String("private-key", "", "API private `key` (default $COMPSHARE_PRIVATE_KEY)")
		imagesFile = fs.String("images-file", "", imagesFileUsage)
		urlFile    = fs.String("url-file", "", "write the base URL to `path` once listening (removed on exit)")
		logging    = fs.Bool("log", false, "log one line per request to stderr")
		newBuild   = fs.Duration("new-build", 0, "`duration` of each build that CreateCompShareCustomImage starts, e.g. 90s\n(default: done at once, or as -images-file's new_build says)")
		cfg        emulator.Config
		images     imageFlags
		instances  instanceFlags
	)
	fs.Var(&instances, "instance", "a running instance `ID` that images can be built of, such as uhost-mine\n(a VM with one 4090 GPU, in cn-wlcb-01); repeatable")
	fs.Var(&images, "image", fmt.Sprintf("image `ID[:TOTAL[:ELAPSED[:SHAPE[:ESTIMATE]]]]` in cn-wlcb-01 that builds in TOTAL (default 60s),\n"+
		"started ELAPSED ago (default 0s), grows along SHAPE (default straight; one of %v)\n"+
		"and is estimated by ESTIMATE (default clock; one of %v); repeatable",
		emulator.ShapeNames(), emulator.EstimateModes()))
	fs.BoolVar(&cfg.DurationsAsStrings, "durations-as-strings", false, `answer TotalDuration and RemainingDuration as strings ("300") instead of integers`)
	fs.IntVar(&cfg.FaultEvery, "fault-every", 0, "inject -fault into every `N`th request")
	fs.StringVar((*string)(&cfg.Fault), "fault", "", "fault `kind`, one of\n"+wrap(fmt.Sprint(emulator.FaultKinds()), 100))
	fs.IntVar(&cfg.FaultLimit, "fault-limit", 0, "stop injecting faults after `N` of them (with -fault-every 1: the first N answers)")
	fs.DurationVar(&cfg.RetryAfter, "retry-after", 0, "send Retry-After (whole seconds) with the http-429 and http-503 faults, e.g. 3s")
	fs.BoolVar(&cfg.RetryAfterDate, "retry-after-date", false, "send Retry-After as an HTTP date instead of seconds")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", 0, "allow `N` requests per second per public key; beyond, HTTP 429 with Retry-After")
	fs.IntVar(&cfg.RateBurst, "rate-burst", 0, "requests a key may make at once under -rate-limit (default: the rate, at least 1)")
	fs.IntVar(&cfg.UnknownAnswers, "unknown-answers", 0, "every image id is unknown (RetCode 230) for its first `N` answers")
	fs.DurationVar(&cfg.UnknownFor, "unknown-for", 0, "every image id is unknown (RetCode 230) this long after it appears, e.g. 5s")
	fs.DurationVar(&cfg.TerminateLinger, "terminate-linger", 0, "a terminated image stays listed this long, e.g. 10s")
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
		world, err := readWorld(*imagesFile)
		if err != nil {
			return err
		}
		cfg.Images = append(cfg.Images, world.Images...)
		cfg.Instances = world.Instances
		if world.NewBuild != nil {
			cfg.NewBuild = *world.NewBuild
		}
	}
	cfg.Instances = append(cfg.Instances, instances...)
	if *newBuild < 0 {
		return fmt.Errorf("-new-build %v: negative", *newBuild)
	}
	if *newBuild > 0 {
		cfg.NewBuild.Total = *newBuild
	}
	if *logging {
		logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
		cfg.OnRequest = func(r emulator.Request) {
			logger.Printf("%s image=%q region=%q zone=%q http=%d retcode=%d fault=%q throttled=%t id=%s",
				cmp.Or(r.Action, "-"), r.ImageID, r.Region, r.Zone, r.HTTPStatus, r.RetCode, r.Fault, r.Throttled, r.RequestID)
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

// wrap breaks text into lines of at most width bytes, between words.
func wrap(text string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		if i > 0 && line+1+len(word) > width {
			b.WriteString("\n")
			line = 0
		} else if i > 0 {
			b.WriteString(" ")
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}

// instanceFlags collects the -instance flags.
type instanceFlags []emulator.Instance

func (f *instanceFlags) String() string {
	if f == nil {
		return ""
	}
	ids := make([]string, len(*f))
	for i, inst := range *f {
		ids[i] = inst.ID
	}
	return strings.Join(ids, ",")
}

func (f *instanceFlags) Set(id string) error {
	if id == "" || strings.ContainsAny(id, " \t:") {
		return fmt.Errorf("instance %q: want an id such as uhost-mine", id)
	}
	*f = append(*f, emulator.Instance{ID: id, State: emulator.StateRunning, GpuType: "4090", GPU: 1})
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

// parseImage reads ID[:TOTAL[:ELAPSED[:SHAPE[:ESTIMATE]]]]; empty parts take
// their defaults. The server checks SHAPE and ESTIMATE.
func parseImage(spec string, now time.Time) (emulator.Image, error) {
	parts := strings.Split(spec, ":")
	if parts[0] == "" || len(parts) > 5 {
		return emulator.Image{}, fmt.Errorf("image %q: want ID[:TOTAL[:ELAPSED[:SHAPE[:ESTIMATE]]]]", spec)
	}
	parts = append(parts, make([]string, 5-len(parts))...)
	durations := []time.Duration{time.Minute, 0} // TOTAL, ELAPSED
	for i, p := range parts[1:3] {
		if p == "" {
			continue
		}
		d, err := time.ParseDuration(p)
		if err != nil {
			return emulator.Image{}, fmt.Errorf("image %q: %w", spec, err)
		}
		durations[i] = d
	}
	return emulator.Image{
		ID: parts[0], Total: durations[0], Start: now.Add(-durations[1]),
		Shape: emulator.Shape(parts[3]), Estimate: emulator.EstimateMode(parts[4]),
	}, nil
}

// world is the content of an -images-file.
type world struct {
	Images    []emulator.Image    `json:"images"`
	Instances []emulator.Instance `json:"instances"`
	NewBuild  *emulator.Image     `json:"new_build"`
}

func readWorld(path string) (world, error) {
	f, err := os.Open(path)
	if err != nil {
		return world{}, err
	}
	defer f.Close()
	var w world
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return world{}, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
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
