package emulator

import (
	"cmp"
	"fmt"
	"slices"
)

// Where the emulator's images and instances live, and which locations a
// request may name.
const (
	DefaultRegion = "cn-wlcb"
	DefaultZone   = "cn-wlcb-01"
)

// regions are the regions the emulator serves, with their zones, first the
// one a region-only location means: those seen on the API
// (shared/API-NOTES.md). The API refuses any other region, and a zone not in
// the region, with RetCode 230.
var regions = map[string][]string{
	DefaultRegion: {DefaultZone},
	"cn-sh2":      {"cn-sh2-02"},
}

// location returns where something placed at region and zone lives: an
// empty region is DefaultRegion, an empty zone the region's first zone.
func location(region, zone string) (string, string) {
	region = cmp.Or(region, DefaultRegion)
	if zone == "" && len(regions[region]) > 0 {
		zone = regions[region][0]
	}
	return region, zone
}

// served is what one server serves: regions with their zones.
type served map[string][]string

// servedWith is regions, with extra zones in DefaultRegion.
func servedWith(extraZones []string) served {
	out := served{}
	for region, zones := range regions {
		out[region] = slices.Clone(zones)
	}
	for _, zone := range extraZones {
		if !slices.Contains(out[DefaultRegion], zone) {
			out[DefaultRegion] = append(out[DefaultRegion], zone)
		}
	}
	return out
}

// checkLocation refuses a region the server does not serve, or a zone
// outside its region; what names the image or instance placed there.
func (sv served) checkLocation(what, region, zone string) error {
	region, zone = location(region, zone)
	zones, ok := sv[region]
	switch {
	case !ok:
		return fmt.Errorf("%s: unknown region %q (known: %v)", what, region, sv)
	case !slices.Contains(zones, zone):
		return fmt.Errorf("%s: zone %q is not a zone of region %q (its zones: %v)", what, zone, region, zones)
	}
	return nil
}

// locatedIn reports whether something placed at region and zone (empty: see
// location) is seen by a request for wantRegion and wantZone.
func locatedIn(region, zone, wantRegion, wantZone string) bool {
	region, zone = location(region, zone)
	return region == wantRegion && zone == wantZone
}

// refusedLocation is the API's answer to a request for a region it does
// not serve, or a zone outside the region, whatever the action; nil when
// the location is served, or not given (the action says what is missing).
func (sv served) refusedLocation(action string, req query) answer {
	region, zone := req.get("Region"), req.get("Zone")
	zones, known := sv[region]
	switch {
	case region == "":
		return nil
	case !known:
		return failure(action, 230, "Params [Region] not available")
	case zone != "" && !slices.Contains(zones, zone):
		return failure(action, 230, "Params [Zone] not available")
	}
	return nil
}
