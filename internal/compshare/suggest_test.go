package compshare

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSimilarImageID(t *testing.T) {
	const list = `{"Action":"DescribeCompShareCustomImagesResponse","RetCode":0,"TotalCount":300,"ImageSet":[
		{"CompShareImageId":"compshareImage-4fk2m9x1","Status":"Available"},
		{"CompShareImageId":"compshareImage-4fk2m9q7","Status":"Available"},
		{"CompShareImageId":"compshareImage-zzzzzzzz","Status":"Making"}]}`
	for _, tc := range []struct{ asked, want string }{
		{"compshareImage-4fk2m9x", "compshareImage-4fk2m9x1"},    // a character dropped
		{"compshareImage-4fk2m9xl", "compshareImage-4fk2m9x1"},   // l for 1
		{"compshareimage-4FK2M9Q7", "compshareImage-4fk2m9q7"},   // the wrong case: the API is strict
		{"compshareImage-4fk2m9x1", "compshareImage-4fk2m9q7"},   // itself is no suggestion
		{"compshareImage-abcdefgh", ""},                          // nothing close
		{"compshareImage-zzzz", ""},                              // four edits away
		{"compshareImage-zzzzzzzzzz", "compshareImage-zzzzzzzz"}, // two extra
	} {
		c, forms := actionServer(t, ok(list))
		if got := c.SimilarImageID(t.Context(), "cn-wlcb", "cn-wlcb-01", tc.asked); got != tc.want {
			t.Errorf("SimilarImageID(%q) = %q, want %q", tc.asked, got, tc.want)
		}
		// One page, however long the list: it is only a hint.
		if f := forms(); len(f) != 1 || f[0].Get("Action") != ActionDescribeImages || f[0].Get("Offset") != "0" || f[0].Get("Limit") != "100" || f[0].Has("CompShareImageId") {
			t.Errorf("SimilarImageID(%q) asked %v, want one page of the list", tc.asked, f)
		}
	}
	c, _ := actionServer(t, func(int, url.Values) (int, string) { return http.StatusInternalServerError, "" })
	if got := c.SimilarImageID(t.Context(), "cn-wlcb", "cn-wlcb-01", "compshareImage-4fk2m9x"); got != "" {
		t.Errorf("a failed list suggests %q", got)
	}
}
