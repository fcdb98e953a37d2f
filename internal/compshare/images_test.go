package compshare

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// imageList is a fake DescribeCompShareCustomImages of our own: it serves
// images by Offset and Limit, applies the CompShareImageId filter only when
// asked to, and records each request's form.
type imageList struct {
	images        []map[string]any
	applyFilter   bool
	ignoreOffset  bool
	noTotalCount  bool
	afterFirst    func(*imageList) // changes the list after the first answer
	mu            sync.Mutex
	forms         []map[string]string
	requestNumber int
}

func (l *imageList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	l.mu.Lock()
	defer l.mu.Unlock()
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	l.forms = append(l.forms, form)
	l.requestNumber++
	w.Header().Set(requestIDHeader, fmt.Sprint("req-", l.requestNumber))
	if form["Action"] != ActionDescribeImages {
		_, _ = w.Write([]byte(`{"RetCode":161,"Message":"unknown action"}`))
		return
	}
	set := l.images
	if id := form["CompShareImageId"]; id != "" && l.applyFilter {
		set = nil
		for _, img := range l.images {
			if img["CompShareImageId"] == id {
				set = append(set, img)
			}
		}
	}
	offset, _ := strconv.Atoi(form["Offset"])
	limit, _ := strconv.Atoi(cmpOr(form["Limit"], "20"))
	if l.ignoreOffset {
		offset = 0
	}
	total := len(set)
	set = set[min(offset, len(set)):min(offset+limit, len(set))]
	answer := map[string]any{"Action": ActionDescribeImages + "Response", "RetCode": 0, "ImageSet": set}
	if !l.noTotalCount {
		answer["TotalCount"] = total
	}
	_ = json.NewEncoder(w).Encode(answer)
	if l.requestNumber == 1 && l.afterFirst != nil {
		l.afterFirst(l)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// numbered returns n images compshareImage-0 ... with status Available.
func numbered(n int) []map[string]any {
	images := make([]map[string]any, n)
	for i := range images {
		images[i] = map[string]any{"CompShareImageId": fmt.Sprint("compshareImage-", i), "Name": fmt.Sprint("image-", i), "Status": "Available"}
	}
	return images
}

func listClient(t *testing.T, l *imageList) *Client {
	t.Helper()
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL, MaxRequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (l *imageList) pages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var pages []string
	for _, f := range l.forms {
		pages = append(pages, f["Offset"]+"/"+f["Limit"])
	}
	return pages
}

func TestImageStatusMatchesTheID(t *testing.T) {
	failed := map[string]any{"CompShareImageId": "compshareImage-Failed", "Status": "unavailable", "FailedReason": "disk full"}
	for _, tc := range []struct {
		name  string
		list  *imageList
		id    string
		pages []string
	}{
		{name: "filter applied", list: &imageList{images: append(numbered(5), failed), applyFilter: true}, id: "compshareImage-Failed", pages: []string{"0/100"}},
		{name: "filter ignored, image on the third page", list: &imageList{images: append(numbered(250), failed)}, id: "compshareImage-Failed", pages: []string{"0/100", "100/100", "200/100"}},
		{name: "id in another case", list: &imageList{images: append(numbered(3), failed)}, id: "COMPSHAREIMAGE-failed", pages: []string{"0/100"}},
		{name: "no TotalCount", list: &imageList{images: append(numbered(100), failed), noTotalCount: true}, id: "compshareImage-Failed", pages: []string{"0/100", "100/100"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := listClient(t, tc.list)
			st, err := c.ImageStatus(t.Context(), "cn-wlcb", "cn-wlcb-01", tc.id)
			if err != nil {
				t.Fatal(err)
			}
			// The status word comes as the API spells it; Failed ignores case.
			if st.Status != "unavailable" || st.FailedReason != "disk full" {
				t.Errorf("status %+v", st)
			}
			if got := tc.list.pages(); strings.Join(got, " ") != strings.Join(tc.pages, " ") {
				t.Errorf("pages asked %v, want %v", got, tc.pages)
			}
			if want := fmt.Sprint("req-", len(tc.pages)); st.RequestID != want {
				t.Errorf("request id %q, want %q", st.RequestID, want)
			}
			if f := tc.list.forms[0]; f["CompShareImageId"] != tc.id || f["Region"] != "cn-wlcb" || f["Zone"] != "cn-wlcb-01" {
				t.Errorf("request %v", f)
			}
		})
	}
}

func TestImageNotListed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		list     *imageList
		requests int
	}{
		{name: "filter applied", list: &imageList{images: numbered(300), applyFilter: true}, requests: 1},
		// Three full pages, then one more: a TotalCount may count less than the list holds.
		{name: "filter ignored", list: &imageList{images: numbered(300)}, requests: 4},
		{name: "offset ignored too", list: &imageList{images: numbered(300), ignoreOffset: true}, requests: 2},
		{name: "first entry is another image", list: &imageList{images: numbered(1)}, requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := listClient(t, tc.list)
			_, err := c.ImageStatus(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-gone")
			var apiErr *Error
			if !errors.As(err, &apiErr) || !IsNotFound(err) || IsTransient(err) {
				t.Fatalf("error = %v, want a not-found *Error", err)
			}
			for _, want := range []string{ActionDescribeImages, "compshareImage-gone", "does not list", fmt.Sprint("req-", tc.requests)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if len(tc.list.forms) != tc.requests {
				t.Errorf("%d requests, want %d", len(tc.list.forms), tc.requests)
			}
		})
	}
}

func TestImageDecoding(t *testing.T) {
	list := &imageList{images: []map[string]any{
		{"CompShareImageId": "compshareImage-a", "Name": "a", "Description": "d", "Status": "Available", "Size": 20480, "CreateTime": 1767225600,
			"Container": "True", "SourceGpuType": "4090", "Tags": []string{"x", "y"}, "Visibility": 1, "ImageType": "Custom", "Owner": map[string]any{"x": 1}, "Price": "free"},
		{"CompShareImageId": "compshareImage-b", "Status": "Making", "Size": "512", "CreateTime": "1767225600", "Container": "FALSE", "Visibility": "0"},
		{"CompShareImageId": "compshareImage-c", "Status": "Making", "Container": "true"},
		{"CompShareImageId": "compshareImage-d", "Status": "Making", "Container": true},
	}}
	c := listClient(t, list)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for id, want := range map[string]Image{
		"compshareImage-a": {ID: "compshareImage-a", Name: "a", Description: "d", Status: "Available", SizeMB: 20480, CreatedAt: created, Container: true, SourceGpuType: "4090", Tags: []string{"x", "y"}, Visibility: 1, ImageType: "Custom"},
		"compshareImage-b": {ID: "compshareImage-b", Status: "Making", SizeMB: 512, CreatedAt: created},
		"compshareImage-c": {ID: "compshareImage-c", Status: "Making", Container: true},
		"compshareImage-d": {ID: "compshareImage-d", Status: "Making", Container: true},
	} {
		got, err := c.Image(t.Context(), "cn-wlcb", "cn-wlcb-01", id)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s:\n got %+v\nwant %+v", id, got, want)
		}
	}
}

func TestImageUnreadableContainer(t *testing.T) {
	c := listClient(t, &imageList{images: []map[string]any{{"CompShareImageId": "compshareImage-a", "Container": "maybe"}}})
	_, err := c.Image(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a")
	if !IsUnreadable(err) || !strings.Contains(err.Error(), "not True or False") {
		t.Fatalf("error = %v, want an unreadable answer", err)
	}
}

func TestImageWordsWithoutSpaces(t *testing.T) {
	// An answer may pad a status word or an id: "Available " must read as
	// Available (a wait at 100 % ends on it), the id as the one asked for.
	c := listClient(t, &imageList{images: []map[string]any{{"CompShareImageId": " compshareImage-a\t", "Status": "Available "}}})
	st, err := c.ImageStatus(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a")
	if err != nil || st.Status != StatusAvailable {
		t.Fatalf("status %+v, %v; want %q", st, err, StatusAvailable)
	}
	img, err := c.Image(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a")
	if err != nil || img.ID != "compshareImage-a" || img.Status != StatusAvailable {
		t.Fatalf("image %+v, %v", img, err)
	}
}

func TestImageTagsAsString(t *testing.T) {
	// The SDK declares Tags an array of strings; an API that keeps them as
	// one string must not make the list, and so every status lookup, fail.
	for _, tc := range []struct {
		tags any
		want []string
	}{
		{tags: []string{"a", "b"}, want: []string{"a", "b"}},
		{tags: nil},
		{tags: ""},
		{tags: " "},
		{tags: "gpu", want: []string{"gpu"}},
		{tags: "gpu, cuda12,,", want: []string{"gpu", "cuda12"}},
	} {
		c := listClient(t, &imageList{images: []map[string]any{{"CompShareImageId": "compshareImage-a", "Status": "Making", "Tags": tc.tags}}})
		img, err := c.Image(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a")
		if err != nil || fmt.Sprint(img.Tags) != fmt.Sprint(tc.want) || img.Status != StatusMaking {
			t.Errorf("Tags %#v: got %#v, %v; want %#v", tc.tags, img.Tags, err, tc.want)
		}
	}
	c := listClient(t, &imageList{images: []map[string]any{{"CompShareImageId": "compshareImage-a", "Tags": 7}}})
	if _, err := c.Image(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a"); !IsUnreadable(err) {
		t.Errorf("Tags 7: error = %v, want an unreadable answer", err)
	}
}

func TestImagesTotalCountBelowRows(t *testing.T) {
	// A TotalCount that counts less than the list holds (0, or only the
	// page's own entries) must not cut the list after its first page.
	for name, total := range map[string]func(page []map[string]any) int{
		"zero":         func([]map[string]any) int { return 0 },
		"page's count": func(page []map[string]any) int { return len(page) },
	} {
		t.Run(name, func(t *testing.T) {
			all := numbered(150)
			c, forms := actionServer(t, func(_ int, form url.Values) (int, string) {
				offset, _ := strconv.Atoi(form.Get("Offset"))
				page := all[min(offset, len(all)):min(offset+100, len(all))]
				b, _ := json.Marshal(map[string]any{"Action": ActionDescribeImages + "Response", "RetCode": 0, "TotalCount": total(page), "ImageSet": page})
				return http.StatusOK, string(b)
			})
			images, err := c.Images(t.Context(), "cn-wlcb", "cn-wlcb-01")
			if err != nil || len(images) != 150 {
				t.Fatalf("%d images, %v; want 150", len(images), err)
			}
			st, err := c.ImageStatus(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-149")
			if err != nil || st.Status != StatusAvailable {
				t.Fatalf("image on the second page: %+v, %v", st, err)
			}
			if n := len(forms()); n != 4 {
				t.Errorf("%d requests, want 2 pages for each of the 2 calls", n)
			}
		})
	}
}

// An answer without Action (a proxy's {} or null with HTTP 200) is no list:
// read as an empty one, a refresh would drop the image from state, or a plan
// call the instance unknown.
func TestListAnswerWithoutAction(t *testing.T) {
	for _, body := range []string{`{}`, `null`, `{"RetCode":0}`} {
		c, _, _ := answers(t, body)
		_, err := c.Image(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a")
		if !IsUnreadable(err) || IsNotFound(err) {
			t.Errorf("image, %s: error = %v, want an unreadable answer, not a missing image", body, err)
		}
		_, err = c.Instance(t.Context(), "cn-wlcb", "cn-wlcb-01", "uhost-1")
		if !IsUnreadable(err) || IsNotFound(err) {
			t.Errorf("instance, %s: error = %v, want an unreadable answer, not a missing instance", body, err)
		}
	}
}
