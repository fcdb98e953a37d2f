package emulator

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const maxBody = 1 << 20

// readParams returns the request parameters as strings, the way the signature
// sees them: from the body (form or JSON), or from the URL query if the body has
// none; and the lists among them: Name.0, Name.1, ... as the SDK's form encoder
// sends a list, or JSON arrays.
func readParams(r *http.Request) (params map[string]string, lists map[string][]string, err error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, nil, err
	}
	if len(body) > maxBody {
		return nil, nil, errors.New("body too large")
	}
	params = map[string]string{}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mediaType == "application/json" && len(bytes.TrimSpace(body)) > 0:
		if params, lists, err = jsonParams(body); err != nil {
			return nil, nil, err
		}
	case mediaType != "application/json":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, err
		}
		params = firstValues(form)
	}
	if len(params) == 0 {
		params = firstValues(r.URL.Query())
	}
	if lists == nil {
		lists = indexedLists(params)
	}
	return params, lists, nil
}

// indexedLists gathers the parameters named Name.N into lists, in the order of N.
func indexedLists(params map[string]string) map[string][]string {
	type item struct {
		n     int
		value string
	}
	items := map[string][]item{}
	for k, v := range params {
		name, index, ok := strings.Cut(k, ".")
		n, err := strconv.Atoi(index)
		if ok && err == nil && n >= 0 {
			items[name] = append(items[name], item{n, v})
		}
	}
	lists := make(map[string][]string, len(items))
	for name, its := range items {
		slices.SortFunc(its, func(a, b item) int { return a.n - b.n })
		for _, it := range its {
			lists[name] = append(lists[name], it.value)
		}
	}
	return lists
}

func firstValues(v url.Values) map[string]string {
	m := make(map[string]string, len(v))
	for k, vs := range v {
		m[k] = vs[0]
	}
	return m
}

// jsonParams returns a JSON body's parameters as the signature sees them, and its arrays.
func jsonParams(body []byte) (map[string]string, map[string][]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep integers exact, as the client signed them
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, nil, err
	}
	params := make(map[string]string, len(obj))
	lists := map[string][]string{}
	for k, v := range obj {
		params[k] = signString(v)
		if array, ok := v.([]any); ok {
			lists[k] = []string{}
			for _, e := range array {
				lists[k] = append(lists[k], signString(e))
			}
		}
	}
	return params, lists, nil
}

// signString renders a JSON value as the SDK's signer renders the Go value it
// was encoded from (auth.any2String): numbers without exponent, arrays and
// objects concatenated, objects by sorted key, null as "".
func signString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return strconv.FormatInt(i, 10)
		}
		f, _ := v.Float64()
		return strconv.FormatFloat(f, 'f', -1, 64)
	case []any:
		var b strings.Builder
		for _, e := range v {
			b.WriteString(signString(e))
		}
		return b.String()
	case map[string]any:
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(v)) {
			b.WriteString(k + signString(v[k]))
		}
		return b.String()
	}
	return ""
}

// signature is UCloud's request signature: every parameter but Signature, by
// sorted name, as name+value, then the private key; SHA-1 in lower-case hex.
func signature(params map[string]string, privateKey string) string {
	h := sha1.New()
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k != "Signature" {
			_, _ = io.WriteString(h, k+params[k])
		}
	}
	_, _ = io.WriteString(h, privateKey)
	return hex.EncodeToString(h.Sum(nil))
}

// newRequestID returns a random UUID, like the real X-UCLOUD-REQUEST-UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// answer is any JSON answer; all of them start with the common reply fields.
type answer interface{ base() *reply }

type reply struct {
	Action  string
	RetCode retCode
	Message string `json:",omitempty"`
}

func (r *reply) base() *reply { return r }

// retCode is a JSON number, or a string under the retcode-string fault.
type retCode struct {
	n      int
	quoted bool
}

func (c retCode) MarshalJSON() ([]byte, error) {
	s := strconv.Itoa(c.n)
	if c.quoted {
		s = strconv.Quote(s)
	}
	return []byte(s), nil
}

func success(action string) reply { return reply{Action: action + "Response"} }

func failure(action string, code int, message string) *reply {
	return &reply{Action: action + "Response", RetCode: retCode{n: code}, Message: message}
}

type progressReply struct {
	reply
	Process           float64
	TotalDuration     any `json:",omitempty"` // int64, or string with DurationsAsStrings; nil to omit
	RemainingDuration any `json:",omitempty"`
}

type describeReply struct {
	reply
	TotalCount int
	ImageSet   []imageItem
}

// imageItem has the fields of the SDK's ucompshare.CompShareImage that the emulator knows.
type imageItem struct {
	CompShareImageID string `json:"CompShareImageId"`
	Name             string
	Description      string
	ImageType        string
	Status           string
	FailedReason     string
	Size             int // MB
	CreateTime       int64
	Container        string // "True" or "False": a string, not a JSON boolean
	SourceGpuType    string
	Tags             []string
	Visibility       int
}

type createReply struct {
	reply
	CompShareImageID string `json:"CompShareImageId"`
}

type instancesReply struct {
	reply
	TotalCount int
	UHostSet   []instanceItem
}

// instanceItem has the fields of the SDK's ucompshare.CompShareInstanceSet that the emulator knows.
type instanceItem struct {
	UHostID          string `json:"UHostId"`
	Name             string
	State            string
	GpuType          string
	GPU              int
	CPU              int
	Memory           int // MB
	Zone             string
	CompShareImageID string `json:"CompShareImageId"`
	ChargeType       string
	MachineType      string
	InstanceType     string
	CreateTime       int64
	ExpireTime       int64
	IPSet            []instanceIP
	DiskSet          []instanceDisk
	Password         string // base64, as the real API answers it
}

// instanceIP is the SDK's UHostIPSet, in part.
type instanceIP struct {
	IP      string
	Type    string
	Default string
}

// instanceDisk is the SDK's UHostDiskSet, in part.
type instanceDisk struct {
	DiskID   string `json:"DiskId"`
	DiskType string
	IsBoot   string // "True" or "False": a string, not a JSON boolean
	Size     int    // GB
}

type createInstanceReply struct {
	reply
	UHostIds []string
}

// instanceReply is the answer of the actions that change one instance.
type instanceReply struct {
	reply
	UHostID string `json:"UHostId"`
}

// query is a request's parameters: as signed, and the lists among them
// (Tags.0, Tags.1, ... in a form; arrays in a JSON body).
type query struct {
	params map[string]string
	lists  map[string][]string
}

func (r query) get(name string) string { return r.params[name] }

// has reports whether the parameter was sent; the SDK's form encoder leaves out empty strings.
func (r query) has(name string) bool { _, ok := r.params[name]; return ok }

// missing is the answer to the first required parameter absent, or nil.
func missing(action string, req query, names ...string) *reply {
	for _, n := range names {
		if req.get(n) == "" {
			return failure(action, 160, "Missing params ["+n+"]")
		}
	}
	return nil
}

// page reads Offset (default 0) and Limit (default 20, at most 100).
func page(action string, req query) (offset, limit int, bad *reply) {
	limit, err := intParam(req.params, "Limit", 20)
	if err != nil {
		return 0, 0, failure(action, 230, "Params [Limit] not available")
	}
	offset, err = intParam(req.params, "Offset", 0)
	if err != nil {
		return 0, 0, failure(action, 230, "Params [Offset] not available")
	}
	return offset, min(limit, 100), nil
}

// window is the page of items from offset, at most limit long.
func window[T any](items []T, offset, limit int) []T {
	first := min(offset, len(items))
	return items[first : first+min(limit, len(items)-first)]
}

// intParam reads an optional non-negative integer parameter; 0 or absent means def.
func intParam(params map[string]string, name string, def int) (int, error) {
	v := params[name]
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad %s", name)
	}
	return cmp.Or(n, def), nil
}
