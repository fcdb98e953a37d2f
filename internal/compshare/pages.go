package compshare

import (
	"strings"

	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

// checkListAnswer refuses a list answer that names no Action. Every answer
// of the API does; one without it (a proxy's {} or null with HTTP 200), read
// as an empty list, would make a refresh drop images from state, or a plan
// call an instance unknown.
func checkListAnswer(cl call, requestID string, answer response.Common) error {
	if answer.GetAction() != "" {
		return nil
	}
	e := cl.error(requestID, "the answer has no Action: it is not an answer of "+cl.action)
	e.Unreadable = true
	return e
}

// PageSize is how many entries a page of a list asks for: the most that
// DescribeCompShareCustomImages and DescribeCompShareInstance return.
const PageSize = 100

// page is one page of a list, as an action answered it.
type page[T any] struct {
	entries   []T
	limit     int            // how many entries were asked for
	total     optionalNumber // the API's TotalCount
	requestID string
}

// walkPages pages through a list from offset 0: fetch asks for the page at
// an offset; visit gets each page's entries not seen before (by id, in any
// case) with the page's request id, until it returns false or the list
// ends: at a page that is not full and at or past TotalCount, if the API
// sent one. A full page is always followed by the next, since a TotalCount
// may count less than the list holds (0, or only the page's entries); a
// list of exactly full pages costs one more, empty, page. A page without a
// new entry ends it too: a server that ignores Offset must not keep a call
// going forever.
func walkPages[T any](fetch func(offset int) (page[T], error), id func(T) string, visit func(entries []T, requestID string) bool) error {
	seen := map[string]bool{}
	for offset := 0; ; {
		p, err := fetch(offset)
		if err != nil {
			return err
		}
		var fresh []T
		for _, entry := range p.entries {
			if key := strings.ToLower(id(entry)); !seen[key] {
				seen[key] = true
				fresh = append(fresh, entry)
			}
		}
		offset += len(p.entries)
		more := len(p.entries) >= p.limit || p.total.present && float64(offset) < p.total.value
		if !visit(fresh, p.requestID) || len(fresh) == 0 || !more {
			return nil
		}
	}
}

// findInPages pages through a list until the entry whose id is want (in
// any case); it returns nil when the list does not hold it, and the request
// id of the last page read.
func findInPages[T any](fetch func(offset int) (page[T], error), id func(T) string, want string) (*T, string, error) {
	var found *T
	var requestID string
	err := walkPages(fetch, id, func(entries []T, pageRequestID string) bool {
		requestID = pageRequestID
		for i := range entries {
			if strings.EqualFold(id(entries[i]), want) {
				found = &entries[i]
				return false
			}
		}
		return true
	})
	return found, requestID, err
}
