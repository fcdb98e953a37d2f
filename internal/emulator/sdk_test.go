package emulator

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
	uerr "github.com/ucloud/ucloud-sdk-go/ucloud/error"
	"github.com/ucloud/ucloud-sdk-go/ucloud/log"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

func sdkClient(s *Server, privateKey string) *ucompshare.UCompShareClient {
	cfg := ucloud.NewConfig()
	cfg.BaseUrl = s.URL()
	cfg.Region, cfg.Zone = testRegion, testZone
	cfg.UserAgent = "emulator-test"
	cfg.LogLevel = log.PanicLevel // the SDK warns on stderr about every failed call
	cred := auth.NewCredential()
	cred.PublicKey, cred.PrivateKey = testPublic, privateKey
	return ucompshare.NewClient(&cfg, &cred)
}

// progressResponse accepts both a number and a numeric string for the durations,
// unlike the SDK's own struct.
type progressResponse struct {
	response.CommonBase
	Process                          float64
	TotalDuration, RemainingDuration json.Number
}

func sdkRetCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var e uerr.Error
	if !errors.As(err, &e) || e.Name() != uerr.ErrRetCode {
		t.Fatalf("not a RetCode error: %v", err)
	}
	return e.Code()
}

func TestSDKClient(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, Images: []Image{
		{ID: "img-1", Start: clock.Now().Add(-30 * time.Second), Total: time.Minute},
	}})
	c := sdkClient(s, testPrivate)

	invoke := func(id string, c *ucompshare.UCompShareClient) (progressResponse, error) {
		req := c.NewGetCompShareImageCreateProgressRequest()
		if id != "" {
			req.CompShareImageId = ucloud.String(id)
		}
		var resp progressResponse
		err := c.InvokeAction(actionProgress, req, &resp)
		return resp, err
	}
	resp, err := invoke("img-1", c)
	if err != nil || resp.Process != 50 || resp.TotalDuration != "60" || resp.RemainingDuration != "30" {
		t.Errorf("InvokeAction: %+v %v", resp, err)
	}
	if resp.GetRequestUUID() == "" {
		t.Error("no request id")
	}
	if _, err := invoke("img-1", sdkClient(s, "wrong")); sdkRetCode(t, err) != 171 {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := invoke("", c); sdkRetCode(t, err) != 160 {
		t.Errorf("no image id: %v", err)
	}
	if _, err := invoke("nope", c); sdkRetCode(t, err) != 230 {
		t.Errorf("unknown image: %v", err)
	}

	// The SDK's typed call cannot read the documented integer durations.
	typed := c.NewGetCompShareImageCreateProgressRequest()
	typed.CompShareImageId = ucloud.String("img-1")
	if _, err := c.GetCompShareImageCreateProgress(typed); !sdkErrorNamed(err, uerr.ErrResponseBodyError) {
		t.Errorf("typed call against integer durations: %v", err)
	}

	generic := c.NewGenericRequest()
	if err := generic.SetPayload(map[string]any{"Action": "NoSuchAction"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GenericInvoke(generic); sdkRetCode(t, err) != 161 {
		t.Errorf("unknown action: %v", err)
	}

	log := s.Requests()
	if len(log) == 0 || log[0].UserAgent == "" || log[0].Action != actionProgress || log[0].ImageID != "img-1" {
		t.Errorf("log %+v", log)
	}
}

func TestSDKTypedWithStringDurations(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, DurationsAsStrings: true, Images: []Image{
		{ID: "img-1", Start: clock.Now().Add(-45 * time.Second), Total: time.Minute, FailAtPercent: 75, FailedReason: "boom"},
	}})
	c := sdkClient(s, testPrivate)
	req := c.NewGetCompShareImageCreateProgressRequest()
	req.CompShareImageId = ucloud.String("img-1")
	resp, err := c.GetCompShareImageCreateProgress(req)
	if err != nil || resp.Process != 75 || resp.TotalDuration != "60" || resp.RemainingDuration != "15" {
		t.Errorf("typed call: %+v %v", resp, err)
	}

	dreq := c.NewDescribeCompShareCustomImagesRequest()
	dreq.CompShareImageId = ucloud.String("img-1")
	dresp, err := c.DescribeCompShareCustomImages(dreq)
	if err != nil || dresp.TotalCount != 1 || dresp.ImageSet[0].Status != "UnAvailable" || dresp.ImageSet[0].FailedReason != "boom" {
		t.Errorf("describe: %+v %v", dresp, err)
	}
}

func TestSDKJSONEncoder(t *testing.T) {
	s := startServer(t, Config{Images: []Image{{ID: "a", Total: time.Minute}, {ID: "b", Total: time.Minute}}})
	c := sdkClient(s, testPrivate)
	req := c.NewDescribeCompShareCustomImagesRequest()
	req.SetEncoder(request.NewJSONEncoder(c.GetConfig(), c.GetCredential()))
	req.Limit, req.Offset = ucloud.Int(1), ucloud.Int(1)
	resp, err := c.DescribeCompShareCustomImages(req)
	if err != nil || resp.TotalCount != 2 || len(resp.ImageSet) != 1 || resp.ImageSet[0].CompShareImageId != "b" {
		t.Errorf("JSON-encoded request: %+v %v", resp, err)
	}
}

func TestSDKSeesFaults(t *testing.T) {
	tests := []struct {
		fault   Fault
		errName string // "" for success
	}{
		{FaultHTTP502, uerr.ErrHTTPStatus},
		{FaultHTML, uerr.ErrHTTPStatus},
		{FaultHTML200, uerr.ErrResponseBodyError},
		{FaultEchoKey, uerr.ErrRetCode},
		{FaultProcessNoise, ""},
		{FaultTruncated, uerr.ErrResponseBodyError},
		{FaultReset, uerr.ErrNetwork},
		{FaultRetCode8433, uerr.ErrRetCode},
		{FaultRetCodeString, ""}, // the SDK patches "RetCode":"0" into a number
	}
	for _, tt := range tests {
		s := startServer(t, Config{Images: []Image{{ID: "img-1", Total: time.Minute}}, FaultEvery: 1, Fault: tt.fault})
		c := sdkClient(s, testPrivate)
		req := c.NewGetCompShareImageCreateProgressRequest()
		req.CompShareImageId = ucloud.String("img-1")
		var resp progressResponse
		err := c.InvokeAction(actionProgress, req, &resp)
		switch {
		case tt.errName == "" && err != nil:
			t.Errorf("%s: %v", tt.fault, err)
		case tt.errName != "" && !sdkErrorNamed(err, tt.errName):
			t.Errorf("%s: got %v, want %s", tt.fault, err, tt.errName)
		}
	}
}

// sdkErrorNamed reports whether err is an SDK error of the given name.
func sdkErrorNamed(err error, name string) bool {
	var e uerr.Error
	return errors.As(err, &e) && e.Name() == name
}
