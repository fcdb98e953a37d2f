package compshare

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// sharedClient is a client of l whose clock stands still until moved.
func sharedClient(t *testing.T, l *imageList) (*Client, func(time.Duration)) {
	t.Helper()
	c := listClient(t, l)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	return c, func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
}

func lookUp(t *testing.T, c *Client, id string) ImageStatus {
	t.Helper()
	st, err := c.ImageStatus(t.Context(), "cn-wlcb", "cn-wlcb-01", id)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return st
}

// A lone lookup asks by id; lookups of other images of the zone that come
// close behind it read the zone's first page, once, and share it.
func TestStatusLookupsShareAPage(t *testing.T) {
	l := &imageList{images: numbered(5), applyFilter: true}
	l.images[3]["Status"] = "Making"
	c, advance := sharedClient(t, l)
	lookUp(t, c, "compshareImage-0")
	for i := 1; i < 5; i++ {
		if st := lookUp(t, c, fmt.Sprint("compshareImage-", i)); st.Status != l.images[i]["Status"] || st.RequestID != "req-2" {
			t.Errorf("image %d: %+v, want its status from the shared page req-2", i, st)
		}
	}
	forms := l.forms
	if len(forms) != 2 || forms[0]["CompShareImageId"] != "compshareImage-0" || forms[1]["CompShareImageId"] != "" || forms[1]["Limit"] != "100" {
		t.Fatalf("requests %v, want one by id, then one page of 100", forms)
	}
	// Once the page is older than freshFor and the lookups are apart,
	// each goes alone again.
	advance(freshFor)
	lookUp(t, c, "compshareImage-1")
	advance(freshFor)
	lookUp(t, c, "compshareImage-2")
	if len(l.forms) != 4 || l.forms[2]["CompShareImageId"] != "compshareImage-1" || l.forms[3]["CompShareImageId"] != "compshareImage-2" {
		t.Errorf("requests %v, want two more by id", l.forms[2:])
	}
}

// An image the shared page does not hold is looked up by id when the page
// is full (the list goes on), and not listed when the page is the whole list.
func TestStatusLookupsOffTheSharedPage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		images   int
		id       string
		requests int
		notFound bool
	}{
		{"full page", 150, "compshareImage-120", 3, false},
		{"whole list", 5, "compshareImage-gone", 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &imageList{images: numbered(tc.images), applyFilter: true}
			c, _ := sharedClient(t, l)
			lookUp(t, c, "compshareImage-0")
			_, err := c.ImageStatus(t.Context(), "cn-wlcb", "cn-wlcb-01", tc.id)
			if IsNotFound(err) != tc.notFound || !tc.notFound && err != nil {
				t.Fatalf("error %v, want not found %v", err, tc.notFound)
			}
			if tc.notFound && !strings.Contains(err.Error(), tc.id) {
				t.Errorf("error %q does not name the image", err)
			}
			if len(l.forms) != tc.requests {
				t.Errorf("%d requests, want %d: %v", len(l.forms), tc.requests, l.forms)
			}
		})
	}
}

// Concurrent lookups of many images share the page call while it runs.
func TestConcurrentStatusLookupsShareTheCall(t *testing.T) {
	l := &imageList{images: numbered(50), applyFilter: true}
	c, _ := sharedClient(t, l)
	lookUp(t, c, "compshareImage-0")
	var wg sync.WaitGroup
	for i := 1; i < 50; i++ {
		wg.Go(func() { lookUp(t, c, fmt.Sprint("compshareImage-", i)) })
	}
	wg.Wait()
	if len(l.forms) != 2 {
		t.Errorf("%d requests for 50 images, want 2", len(l.forms))
	}
}
