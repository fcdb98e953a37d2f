package compshare

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// actionServer answers each request with what answer returns for its form
// (a status and a body) and records the forms.
func actionServer(t *testing.T, answer func(n int, form url.Values) (int, string)) (*Client, func() []url.Values) {
	t.Helper()
	var mu sync.Mutex
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		forms = append(forms, r.PostForm)
		n := len(forms)
		mu.Unlock()
		w.Header().Set(requestIDHeader, fmt.Sprint("req-", n))
		status, body := answer(n, r.PostForm)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{PublicKey: "pub", PrivateKey: testPrivateKey, BaseURL: srv.URL, ProjectID: "org-1", MaxRetries: 2, MaxRequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return 0 }
	return c, func() []url.Values {
		mu.Lock()
		defer mu.Unlock()
		return append([]url.Values(nil), forms...)
	}
}

func ok(body string) func(int, url.Values) (int, string) {
	return func(int, url.Values) (int, string) { return http.StatusOK, body }
}

// params returns the form's names other than the signature's, sorted.
func params(form url.Values) string {
	var names []string
	for k := range form {
		if k != "Signature" && k != "PublicKey" {
			names = append(names, k+"="+form.Get(k))
		}
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func TestCreateImage(t *testing.T) {
	c, forms := actionServer(t, ok(`{"RetCode":0,"CompShareImageId":"compshareImage-new"}`))
	id, err := c.CreateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", NewImage{UHostID: "uhost-1", Name: "my image", Description: "from CI"})
	if err != nil || id != "compshareImage-new" {
		t.Fatalf("id %q, err %v", id, err)
	}
	want := "Action=CreateCompShareCustomImage Description=from CI Name=my image ProjectId=org-1 Region=cn-wlcb UHostId=uhost-1 Zone=cn-wlcb-01"
	if got := params(forms()[0]); got != want {
		t.Errorf("request\n got %s\nwant %s", got, want)
	}
	if _, err := c.CreateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", NewImage{UHostID: "uhost-1", Name: "bare"}); err != nil {
		t.Fatal(err)
	}
	if _, sent := forms()[1]["Description"]; sent {
		t.Error("an empty description was sent")
	}
}

func TestCreateImageRefusesBadInput(t *testing.T) {
	c, forms := actionServer(t, ok(`{"RetCode":0,"CompShareImageId":"compshareImage-new"}`))
	for spec, want := range map[NewImage]string{
		{Name: "n"}:          "UHostId",
		{UHostID: "uhost-1"}: "name",
	} {
		if _, err := c.CreateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CreateImage(%+v) error = %v, want it to name %s", spec, err, want)
		}
	}
	if len(forms()) != 0 {
		t.Error("bad input reached the API")
	}
}

// Starting a build is retried only when the API refused it unread.
func TestCreateImageRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		first    string
		requests int
		wantErr  string
	}{
		{name: "HTTP 429 retried", first: "429", requests: 2},
		{name: "HTTP 502 not retried", first: "502", requests: 1, wantErr: "HTTP 502"},
		{name: "RetCode 8433 not retried", first: `{"RetCode":8433,"Message":"busy"}`, requests: 1, wantErr: "RetCode 8433"},
		// The gateway throttled the request: like HTTP 429, it was not passed on.
		{name: "gateway RetCode 153 retried", first: `{"RetCode":153,"Message":"request throttled"}`, requests: 2},
		// The gateway's timeout or outage: the build may have started.
		{name: "gateway RetCode 110 not retried", first: `{"RetCode":110,"Message":"api timeout"}`, requests: 1, wantErr: "RetCode 110"},
		{name: "gateway RetCode 150 not retried", first: `{"RetCode":150,"Message":"service unavailable"}`, requests: 1, wantErr: "RetCode 150"},
		{name: "unreadable not retried", first: `<html>`, requests: 1, wantErr: "could not be read"},
		{name: "no image id", first: `{"RetCode":0}`, requests: 1, wantErr: "no CompShareImageId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, forms := actionServer(t, func(n int, _ url.Values) (int, string) {
				switch {
				case n > 1:
					return http.StatusOK, `{"RetCode":0,"CompShareImageId":"compshareImage-new"}`
				case tc.first == "429":
					return http.StatusTooManyRequests, ""
				case tc.first == "502":
					return http.StatusBadGateway, ""
				}
				return http.StatusOK, tc.first
			})
			id, err := c.CreateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", NewImage{UHostID: "uhost-1", Name: "n"})
			if len(forms()) != tc.requests {
				t.Errorf("%d requests, want %d", len(forms()), tc.requests)
			}
			if tc.wantErr == "" {
				if err != nil || id != "compshareImage-new" {
					t.Fatalf("id %q, err %v", id, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			for _, want := range []string{ActionCreateImage, `instance "uhost-1"`, "request id req-1"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestUpdateImage(t *testing.T) {
	name, description := "renamed", "new words"
	for _, tc := range []struct {
		name   string
		update ImageUpdate
		want   string
	}{
		{name: "rename through the generic request", update: ImageUpdate{Name: &name},
			want: "Action=UpdateCompShareImage CompShareImageId=compshareImage-a Name=renamed ProjectId=org-1 Region=cn-wlcb Zone=cn-wlcb-01"},
		{name: "everything", update: ImageUpdate{Name: &name, Description: &description, Tags: []string{"gpu", "ci"}},
			want: "Action=UpdateCompShareImage CompShareImageId=compshareImage-a Description=new words Name=renamed ProjectId=org-1 Region=cn-wlcb Tags.0=gpu Tags.1=ci Zone=cn-wlcb-01"},
		{name: "description and tags through the SDK's request", update: ImageUpdate{Description: &description, Tags: []string{"gpu"}},
			want: "Action=UpdateCompShareImage CompShareImageId=compshareImage-a Description=new words ProjectId=org-1 Region=cn-wlcb Tags.0=gpu Zone=cn-wlcb-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, forms := actionServer(t, ok(`{"RetCode":0}`))
			if err := c.UpdateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a", tc.update); err != nil {
				t.Fatal(err)
			}
			f := forms()
			if len(f) != 1 || params(f[0]) != tc.want {
				t.Fatalf("requests %v\nwant %s", f, tc.want)
			}
			if len(f[0].Get("Signature")) != 40 {
				t.Errorf("unsigned request %v", f[0])
			}
		})
	}
}

func TestUpdateImageRefusesEmptyValues(t *testing.T) {
	empty := ""
	c, forms := actionServer(t, ok(`{"RetCode":0}`))
	for update, want := range map[string]ImageUpdate{
		"name":        {Name: &empty},
		"description": {Description: &empty},
		"tags":        {Tags: []string{}},
	} {
		err := c.UpdateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a", want)
		if err == nil || !strings.Contains(err.Error(), "the "+update+" cannot be set to nothing") || !strings.Contains(err.Error(), "compshareImage-a") {
			t.Errorf("%s: error = %v", update, err)
		}
	}
	if err := c.UpdateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a", ImageUpdate{}); err != nil {
		t.Errorf("no change: %v", err)
	}
	if len(forms()) != 0 {
		t.Errorf("%d requests, want none", len(forms()))
	}
}

func TestUpdateImageError(t *testing.T) {
	name := "taken"
	c, _ := actionServer(t, ok(`{"RetCode":230,"Message":"Params [Name] not available"}`))
	err := c.UpdateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a", ImageUpdate{Name: &name})
	want := `UpdateCompShareImage for image "compshareImage-a" failed: RetCode 230 (the API refused the value of parameter Name): Params [Name] not available (request id req-1)`
	if err == nil || err.Error() != want || IsNotFound(err) {
		t.Fatalf("error = %v\nwant %s, not a missing image", err, want)
	}
}

func TestDeleteImage(t *testing.T) {
	c, forms := actionServer(t, ok(`{"RetCode":0}`))
	if err := c.DeleteImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a"); err != nil {
		t.Fatal(err)
	}
	if got, want := params(forms()[0]), "Action=TerminateCompShareCustomImage CompShareImageId=compshareImage-a ProjectId=org-1 Region=cn-wlcb Zone=cn-wlcb-01"; got != want {
		t.Errorf("request\n got %s\nwant %s", got, want)
	}

	c, _ = actionServer(t, ok(`{"RetCode":230,"Message":"Params [CompShareImageId] not available"}`))
	err := c.DeleteImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-gone")
	if !IsNotFound(err) || !strings.Contains(err.Error(), `TerminateCompShareCustomImage for image "compshareImage-gone"`) {
		t.Fatalf("error = %v, want a not-found error naming the action and image", err)
	}
}

func TestInstance(t *testing.T) {
	var others []string
	for i := range 100 {
		others = append(others, fmt.Sprintf(`{"UHostId":"uhost-other-%d","State":"Running"}`, i))
	}
	target := `{"UHostId":"UHOST-1","Name":"trainer","Zone":"cn-wlcb-01","State":"Stopped","InstanceType":"Container","GpuType":"4090","GPU":"2","Password":"c2VjcmV0"}`
	// The filter is ignored: the instance is on the second page.
	c, forms := actionServer(t, func(n int, form url.Values) (int, string) {
		if form.Get("Offset") == "0" {
			return http.StatusOK, `{"Action":"DescribeCompShareInstanceResponse","RetCode":0,"TotalCount":101,"UHostSet":[` + strings.Join(others, ",") + `]}`
		}
		return http.StatusOK, `{"Action":"DescribeCompShareInstanceResponse","RetCode":0,"TotalCount":101,"UHostSet":[` + target + `]}`
	})
	inst, err := c.Instance(t.Context(), "cn-wlcb", "cn-wlcb-01", "uhost-1")
	if err != nil {
		t.Fatal(err)
	}
	want := Instance{UHostID: "UHOST-1", Name: "trainer", Zone: "cn-wlcb-01", State: "Stopped", InstanceType: "Container", GpuType: "4090", GPU: 2, RequestID: "req-2"}
	if !reflect.DeepEqual(inst, want) {
		t.Errorf("got  %+v\nwant %+v", inst, want)
	}
	f := forms()
	if len(f) != 2 || f[0].Get("UHostIds.0") != "uhost-1" || f[1].Get("Offset") != "100" || f[1].Get("Limit") != "100" || f[0].Get("Action") != ActionDescribeInstance {
		t.Errorf("requests %v", f)
	}
}

func TestInstanceNotListed(t *testing.T) {
	c, _ := actionServer(t, ok(`{"Action":"DescribeCompShareInstanceResponse","RetCode":0,"TotalCount":0,"UHostSet":[]}`))
	_, err := c.Instance(t.Context(), "cn-wlcb", "cn-wlcb-01", "uhost-gone")
	var apiErr *Error
	if !errors.As(err, &apiErr) || !IsNotFound(err) || !strings.Contains(err.Error(), `DescribeCompShareInstance for instance "uhost-gone" failed`) {
		t.Fatalf("error = %v, want a not-found error naming the instance", err)
	}
}

func TestImages(t *testing.T) {
	list := &imageList{images: numbered(250)}
	c := listClient(t, list)
	images, err := c.Images(t.Context(), "cn-wlcb", "cn-wlcb-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 250 || images[0].ID != "compshareImage-0" || images[249].Name != "image-249" || images[249].Status != "Available" {
		t.Fatalf("got %d images: first %+v", len(images), images[0])
	}
	if got := strings.Join(list.pages(), " "); got != "0/100 100/100 200/100" {
		t.Errorf("pages %s", got)
	}
	if _, filtered := list.forms[0]["CompShareImageId"]; filtered {
		t.Error("a listing sent an image id")
	}
}

func TestImagesSkipsRepeatedEntries(t *testing.T) {
	// An image added while the pages are read shifts the list: the entry
	// at the page boundary comes twice.
	list := &imageList{images: numbered(150), afterFirst: func(l *imageList) {
		l.images = append([]map[string]any{{"CompShareImageId": "compshareImage-new"}}, l.images...)
	}}
	c := listClient(t, list)
	images, err := c.Images(t.Context(), "cn-wlcb", "cn-wlcb-01")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, img := range images {
		if seen[img.ID] {
			t.Errorf("%s listed twice", img.ID)
		}
		seen[img.ID] = true
	}
	if len(images) != 150 {
		t.Errorf("%d images, want the 150 first listed", len(images))
	}
}

// WalkImages asks for pages of the size given and stops when told to, or
// at the end of the list, whether or not the API says how long it is.
func TestWalkImages(t *testing.T) {
	ctx := t.Context()
	for _, noTotalCount := range []bool{false, true} {
		list := &imageList{images: numbered(30), noTotalCount: noTotalCount}
		c := listClient(t, list)
		var ids []string
		err := c.WalkImages(ctx, "cn-wlcb", "cn-wlcb-01", 5, func(img Image) bool {
			ids = append(ids, img.ID)
			return len(ids) < 12
		})
		if err != nil || len(ids) != 12 || ids[11] != "compshareImage-11" || len(list.forms) != 3 || list.forms[2]["Limit"] != "5" {
			t.Errorf("no TotalCount %v: stopped at 12: %v, %v after %d requests %v", noTotalCount, ids, err, len(list.forms), list.forms)
		}
		ids, list.forms = nil, nil
		if err := c.WalkImages(ctx, "cn-wlcb", "cn-wlcb-01", 7, func(img Image) bool { ids = append(ids, img.ID); return true }); err != nil || len(ids) != 30 {
			t.Errorf("no TotalCount %v: the whole list: %d images, %v", noTotalCount, len(ids), err)
		}
	}
	c := listClient(t, &imageList{})
	for _, bad := range []int{0, 101} {
		if err := c.WalkImages(ctx, "cn-wlcb", "cn-wlcb-01", bad, func(Image) bool { return true }); err == nil || !strings.Contains(err.Error(), "1..100") {
			t.Errorf("WalkImages(%d a page) error = %v", bad, err)
		}
	}
}

func TestDeleteImageAlreadyGone(t *testing.T) {
	// The RetCode for an image already gone is not documented: whatever the
	// API answers, an image that the list does not hold is gone, and a
	// destroy must not fail on it.
	for _, tc := range []struct {
		name, refusal string
		status        int
		listed        bool
		notFound      bool
	}{
		{name: "product RetCode", refusal: `{"RetCode":66001,"Message":"image not exist"}`, notFound: true},
		{name: "RetCode below 2000", refusal: `{"RetCode":1001,"Message":"image does not exist"}`, notFound: true},
		{name: "HTTP 404", status: http.StatusNotFound, refusal: `not found`, notFound: true},
		{name: "refused, still listed", refusal: `{"RetCode":66002,"Message":"image is public"}`, listed: true},
		{name: "bad zone", refusal: `{"RetCode":230,"Message":"Params [Zone] not available"}`},
		{name: "keys refused", refusal: `{"RetCode":171,"Message":"signature error"}`},
		// The gateway's RetCodes are no refusal: nothing says the image is gone.
		{name: "gateway throttled", refusal: `{"RetCode":153,"Message":"request throttled"}`},
		{name: "gateway unavailable", refusal: `{"RetCode":150,"Message":"service unavailable"}`},
		{name: "gateway timeout", refusal: `{"RetCode":110,"Message":"api timeout"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, forms := actionServer(t, func(_ int, form url.Values) (int, string) {
				switch {
				case form.Get("Action") == ActionDeleteImage:
					return cmp.Or(tc.status, http.StatusOK), tc.refusal
				case strings.Contains(tc.refusal, "171"), strings.Contains(tc.refusal, "Zone"):
					return http.StatusOK, tc.refusal
				case tc.listed:
					return http.StatusOK, `{"Action":"DescribeCompShareCustomImagesResponse","RetCode":0,"TotalCount":1,"ImageSet":[{"CompShareImageId":"compshareImage-a","Status":"Available"}]}`
				}
				return http.StatusOK, `{"Action":"DescribeCompShareCustomImagesResponse","RetCode":0,"TotalCount":0,"ImageSet":[]}`
			})
			err := c.DeleteImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a")
			if err == nil || IsNotFound(err) != tc.notFound || !strings.Contains(err.Error(), `TerminateCompShareCustomImage for image "compshareImage-a" failed`) {
				t.Fatalf("error = %v, want IsNotFound %v", err, tc.notFound)
			}
			var lookups int
			for _, f := range forms() {
				if f.Get("Action") == ActionDescribeImages {
					lookups++
					if f.Get("CompShareImageId") != "compshareImage-a" {
						t.Errorf("lookup %v", f)
					}
				}
			}
			if want := !strings.Contains(tc.refusal, "171") && !strings.HasPrefix(tc.name, "gateway"); (lookups > 0) != want {
				t.Errorf("%d lookups after the refusal", lookups)
			}
		})
	}
}

func TestCreateImageAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, body, id string
		unreadable     bool
	}{
		{name: "key in another case", body: `{"RetCode":0,"compshareImageId":"compshareImage-new"}`, id: "compshareImage-new"},
		{name: "RetCode as a string, a Message on success, no Action", body: `{"RetCode":"0","Message":"ok","CompShareImageId":"compshareImage-new"}`, id: "compshareImage-new"},
		{name: "id with spaces", body: `{"RetCode":0,"CompShareImageId":" compshareImage-new\n"}`, id: "compshareImage-new"},
		{name: "blank id", body: `{"RetCode":0,"CompShareImageId":"  "}`, unreadable: true},
		{name: "no id", body: `{"RetCode":0,"Action":"CreateCompShareCustomImageResponse"}`, unreadable: true},
		{name: "id in an array", body: `{"RetCode":0,"CompShareImageId":["compshareImage-new"]}`, unreadable: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, forms := actionServer(t, ok(tc.body))
			id, err := c.CreateImage(t.Context(), "cn-wlcb", "cn-wlcb-01", NewImage{UHostID: "uhost-1", Name: "my image"})
			if id != tc.id || (err != nil) != tc.unreadable || IsUnreadable(err) != tc.unreadable || IsTransient(err) {
				t.Fatalf("id %q, err %v; want id %q", id, err, tc.id)
			}
			if len(forms()) != 1 {
				t.Errorf("%d requests: a build request must not be repeated", len(forms()))
			}
		})
	}
}

func TestInstanceIDWithSpaces(t *testing.T) {
	c, _ := actionServer(t, ok(`{"Action":"DescribeCompShareInstanceResponse","RetCode":0,"TotalCount":1,"UHostSet":[{"UHostId":"uhost-1 ","State":"Running"}]}`))
	inst, err := c.Instance(t.Context(), "cn-wlcb", "cn-wlcb-01", "uhost-1")
	if err != nil || inst.UHostID != "uhost-1" {
		t.Fatalf("instance %+v, %v", inst, err)
	}
}
