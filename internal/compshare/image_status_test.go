package compshare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestMeaningOf(t *testing.T) {
	for status, want := range map[string]ImageMeaning{
		"Making": ImageBuilding, "available": ImageUsable, "UNAVAILABLE": ImageFailed,
		"Reviewing": ImagePendingReview, "Offline": ImageGone, "": ImageUnknown, "Deleting": ImageUnknown,
	} {
		if got := MeaningOf(status); got != want {
			t.Errorf("MeaningOf(%q) = %v, want %v", status, got, want)
		}
	}
	for _, m := range []ImageMeaning{ImageUnknown, ImageBuilding, ImageUsable, ImagePendingReview, ImageFailed, ImageGone} {
		if m.Usable() && m.Unusable() {
			t.Errorf("%v is both usable and unusable", m)
		}
	}
	if !ImageFailed.Unusable() || !ImageGone.Unusable() || ImageBuilding.Unusable() || !ImageUsable.Usable() {
		t.Error("Usable and Unusable disagree with the status table")
	}
}

// The glossary names every status word the API uses, each once.
func TestImageStatusGlossary(t *testing.T) {
	glossary := ImageStatusGlossary()
	words := ImageStatusWords()
	if len(words) != 5 {
		t.Fatalf("%d status words: %v", len(words), words)
	}
	for _, w := range words {
		if strings.Count(glossary, "`"+w+"`") != 1 {
			t.Errorf("glossary %q names %s not once", glossary, w)
		}
	}
	if !strings.HasPrefix(glossary, "`Making` (being built), ") || !strings.HasSuffix(glossary, " or `Offline` (taken down)") {
		t.Errorf("glossary %q", glossary)
	}
}

func TestIsBusyAndAnswerLost(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		busy, lost bool
	}{
		{name: "build running", err: &Error{RetCode: RetCodeBuildRunning, Transient: true}, busy: true},
		{name: "build running with HTTP 502", err: &Error{RetCode: RetCodeBuildRunning, Status: http.StatusBadGateway, Transient: true}, lost: true},
		{name: "product refusal", err: &Error{RetCode: 8433, Transient: true}},
		{name: "name in use", err: &Error{RetCode: RetCodeNotAvailable, Param: "Name"}},
		{name: "throttled", err: &Error{Status: http.StatusTooManyRequests, Transient: true}},
		{name: "gateway throttled", err: &Error{RetCode: RetCodeThrottled, Transient: true}},
		{name: "gateway service unavailable", err: &Error{RetCode: RetCodeServiceUnavailable, Transient: true}},
		{name: "gateway API timeout", err: &Error{RetCode: RetCodeAPITimeout, Transient: true}, lost: true},
		{name: "gateway timeout", err: &Error{Status: http.StatusGatewayTimeout, Transient: true}, lost: true},
		{name: "server error", err: &Error{Status: http.StatusInternalServerError}, lost: true},
		{name: "connection reset", err: &Error{Transient: true}, lost: true},
		{name: "nothing answered", err: &Error{Transient: true, Unreachable: true}},
		{name: "unreadable", err: &Error{Unreadable: true}, lost: true},
		{name: "cancelled", err: &Error{Err: context.Canceled}, lost: true},
		{name: "deadline", err: fmt.Errorf("wrapped: %w", context.DeadlineExceeded), lost: true},
		{name: "not ours", err: errors.New("x")},
	} {
		if IsNameTaken(tc.err) != (tc.name == "name in use") {
			t.Errorf("%s: IsNameTaken %v", tc.name, IsNameTaken(tc.err))
		}
		if IsBusy(tc.err) != tc.busy || AnswerLost(tc.err) != tc.lost {
			t.Errorf("%s: IsBusy %v, AnswerLost %v; want %v, %v", tc.name, IsBusy(tc.err), AnswerLost(tc.err), tc.busy, tc.lost)
		}
	}
}

// A refused deletion of an image that the list shows published to the
// community says so, whatever the RetCode (not documented).
func TestDeleteImagePublished(t *testing.T) {
	for visibility, published := range map[int]bool{0: false, 1: true} {
		c, _ := actionServer(t, func(_ int, form url.Values) (int, string) {
			if form.Get("Action") == ActionDeleteImage {
				return http.StatusOK, `{"RetCode":8803,"Message":"image is published"}`
			}
			return http.StatusOK, fmt.Sprintf(`{"Action":"DescribeCompShareCustomImagesResponse","RetCode":0,"TotalCount":1,"ImageSet":[{"CompShareImageId":"compshareImage-a","Status":"Available","Visibility":%d}]}`, visibility)
		})
		err := c.DeleteImage(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-a")
		if err == nil || IsPublished(err) != published || IsNotFound(err) {
			t.Errorf("Visibility %d: error %v, IsPublished %v", visibility, err, IsPublished(err))
		}
	}
}

func TestImageNamed(t *testing.T) {
	c, _ := actionServer(t, ok(`{"Action":"DescribeCompShareCustomImagesResponse","RetCode":0,"TotalCount":2,"ImageSet":[{"CompShareImageId":"compshareImage-a","Name":"a"},{"CompShareImageId":"compshareImage-b","Name":"b"}]}`))
	img, err := c.ImageNamed(t.Context(), "cn-wlcb", "cn-wlcb-01", "b")
	if err != nil || img.ID != "compshareImage-b" {
		t.Fatalf("ImageNamed(b) = %+v, %v", img, err)
	}
	if _, err := c.ImageNamed(t.Context(), "cn-wlcb", "cn-wlcb-01", "c"); !IsNotFound(err) || !strings.Contains(err.Error(), `no image is named "c"`) {
		t.Errorf("ImageNamed(c): %v", err)
	}
}
