package emulator

import (
	"bytes"
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
// sees them: from the body (form or JSON), or from the URL query if the body has none.
func readParams(r *http.Request) (map[string]string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxBody {
		return nil, errors.New("body too large")
	}
	params := map[string]string{}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mediaType == "application/json" && len(bytes.TrimSpace(body)) > 0:
		if params, err = jsonParams(body); err != nil {
			return nil, err
		}
	case mediaType != "application/json":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		params = firstValues(form)
	}
	if len(params) == 0 {
		params = firstValues(r.URL.Query())
	}
	return params, nil
}

func firstValues(v url.Values) map[string]string {
	m := make(map[string]string, len(v))
	for k, vs := range v {
		m[k] = vs[0]
	}
	return m
}

func jsonParams(body []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep integers exact, as the client signed them
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	params := make(map[string]string, len(obj))
	for k, v := range obj {
		params[k] = signString(v)
	}
	return params, nil
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
	ImageType        string
	Status           string
	FailedReason     string `json:",omitempty"`
	CreateTime       int64
}
