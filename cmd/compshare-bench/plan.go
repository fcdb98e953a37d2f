package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/compshare/terraform-provider-compshare/internal/emulator"
)

const planResources = 50

// planCase is one configuration whose terraform plan is timed.
type planCase struct {
	name        string
	config      string
	dataSources bool // checked against the plan target
	times       []time.Duration
}

// planOverhead times terraform plan of 50 data sources against 50
// terraform_data resources, interleaving the runs so that drift of the
// machine hits every configuration alike.
func (b *bench) planOverhead(ctx context.Context, runs int) ([]*planCase, error) {
	images := make([]emulator.Image, planResources)
	for i := range images {
		images[i] = emulator.Image{ID: fmt.Sprintf("compshareImage-plan-%02d", i), Total: time.Hour}
	}
	srv, err := emulator.Start(emulator.Config{PublicKey: b.publicKey, PrivateKey: b.privateKey, Images: images})
	if err != nil {
		return nil, err
	}
	defer func() { _ = srv.Close() }()

	dataSources := func(provider string, sameImage bool) string {
		var c strings.Builder
		c.WriteString(provider)
		for i := range planResources {
			id := images[i].ID
			if sameImage {
				id = images[0].ID
			}
			fmt.Fprintf(&c, "data \"compshare_image_progress\" \"p%02d\" {\n  image_id = %q\n}\n", i, id)
		}
		return c.String()
	}
	var builtin strings.Builder
	for i := range planResources {
		fmt.Fprintf(&builtin, "resource \"terraform_data\" \"r%02d\" {\n  input = %d\n}\n", i, i)
	}
	cases := []*planCase{
		{name: "50 `terraform_data` (baseline)", config: builtin.String()},
		{name: "50 `terraform_data`, `compshare` provider configured but unused", config: providerBlock(srv.URL(), "") + builtin.String()},
		{name: "50 `compshare_image_progress`, one image", dataSources: true, config: dataSources(providerBlock(srv.URL(), ""), true)},
		{name: "50 `compshare_image_progress`, 50 images", dataSources: true, config: dataSources(providerBlock(srv.URL(), ""), false)},
		{name: "50 `compshare_image_progress`, 50 images, `max_requests_per_second = 1000`", dataSources: true, config: dataSources(providerBlock(srv.URL(), "max_requests_per_second = 1000"), false)},
	}
	dirs := make([]string, len(cases))
	for i, c := range cases {
		if dirs[i], err = b.configDir(fmt.Sprintf("plan-%d", i), c.config); err != nil {
			return nil, err
		}
	}
	progressf("plan overhead: %d timed runs of %d plans, after one untimed", runs, len(cases))
	for run := -1; run < runs; run++ { // run -1 warms caches up
		for i, c := range cases {
			took, err := b.tf(ctx, dirs[i], nil, "plan", "-input=false")
			if err != nil {
				return nil, err
			}
			if run >= 0 {
				c.times = append(c.times, took)
			}
		}
	}
	return cases, nil
}
