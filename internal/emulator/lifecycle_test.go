package emulator

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func lifecycle(action string, params map[string]any) map[string]any {
	p := map[string]any{"Action": action, "Region": testRegion, "Zone": testZone}
	for k, v := range params {
		p[k] = v
	}
	return p
}

func createImage(t *testing.T, s *Server, uhost, name string) (id string, d decoded) {
	t.Helper()
	_, body := call(t, s, lifecycle(actionCreate, map[string]any{"UHostId": uhost, "Name": name, "Description": "made by a test"}))
	var a struct {
		decoded
		CompShareImageId string
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("create: %s", body)
	}
	return a.CompShareImageId, a.decoded
}

var testInstances = []Instance{
	{ID: "uhost-vm", Name: "vm", GpuType: "4090", GPU: 1},
	{ID: "uhost-pod", Container: true, GpuType: "A100", GPU: 2},
	{ID: "uhost-pod-stopped", Container: true, State: StateStopped},
	{ID: "uhost-vm-stopped", State: StateStopped},
	{ID: "uhost-installing", State: "Install"},
	{ID: "uhost-sh", Region: "cn-sh2", Zone: "cn-sh2-02"},
}

func TestCreateCustomImage(t *testing.T) {
	clock := newClock()
	start := clock.Now()
	s := startServer(t, Config{Now: clock.Now, Instances: testInstances, NewBuild: Image{
		Total: time.Minute, Shape: ShapeChunks, AvailableAfter: 5 * time.Second, SizeMB: 20480, Tags: []string{"t"},
	}})
	id, d := createImage(t, s, "uhost-vm", "gpu-base")
	if d.RetCode != 0 || !strings.HasPrefix(id, "compshareImage-") || d.Action != actionCreate+"Response" {
		t.Fatalf("create: %s %+v", id, d)
	}
	e := describeOne(t, s, id)
	want := imageEntry{
		CompShareImageId: id, Name: "gpu-base", Description: "made by a test", ImageType: "Custom", Status: StatusMaking,
		Container: "False", SourceGpuType: "4090", Size: 20480, CreateTime: start.Unix(), Tags: []string{"t"},
	}
	e.FailedReason = nil
	if fmt.Sprint(e) != fmt.Sprint(want) {
		t.Errorf("listed\n got %+v\nwant %+v", e, want)
	}
	// The new build follows NewBuild: chunks, then Making for 5 s at 100 %.
	clock.Add(40 * time.Second)
	if _, body := call(t, s, progressParams(id)); decode(t, body).Process != 50 {
		t.Errorf("chunks: %s", body)
	}
	if usable, ok := s.UsableAt(id); !ok || !usable.Equal(start.Add(65*time.Second)) {
		t.Errorf("UsableAt %v %v", usable, ok)
	}
	img, ok := s.Image(id)
	if !ok || img.UHostID != "uhost-vm" || img.Region != testRegion || img.Zone != testZone || !img.Start.Equal(start) {
		t.Errorf("Image: %+v %v", img, ok)
	}

	// One build per instance at a time, until it is Available.
	_, d = createImage(t, s, "uhost-vm", "second")
	if d.RetCode != RetCodeBuildRunning || !strings.Contains(d.Message, id) || !strings.Contains(d.Message, "uhost-vm") {
		t.Errorf("second build: %+v", d)
	}
	clock.Set(start.Add(62 * time.Second))
	if _, d = createImage(t, s, "uhost-vm", "second"); d.RetCode != RetCodeBuildRunning {
		t.Errorf("second build at 100 %% but Making: %+v", d)
	}
	clock.Set(start.Add(65 * time.Second))
	if _, d = createImage(t, s, "uhost-vm", "second"); d.RetCode != 0 {
		t.Errorf("second build once Available: %+v", d)
	}
	if got := len(s.Images()); got != 2 {
		t.Errorf("%d images", got)
	}

	tests := []struct {
		uhost, name string
		code        int
		message     string
	}{
		{"uhost-vm", "gpu-base", 230, `Params [Name] not available: image name "gpu-base" is already used by ` + id},
		{"uhost-nope", "x", 230, "Params [UHostId] not available"},
		{"uhost-sh", "x", 230, "Params [UHostId] not available"},
		{"uhost-pod-stopped", "x", RetCodeInstanceState, "instance uhost-pod-stopped runs a container image and is Stopped: it can be imaged only while Running"},
		{"uhost-installing", "x", RetCodeInstanceState, "instance uhost-installing is Install: it can be imaged only while Running or Stopped"},
		{"uhost-vm-stopped", "from-stopped-vm", 0, ""},
		{"uhost-pod", "from-pod", 0, ""},
	}
	for _, tt := range tests {
		if _, d := createImage(t, s, tt.uhost, tt.name); d.RetCode != tt.code || d.Message != tt.message {
			t.Errorf("%s %s: %+v", tt.uhost, tt.name, d)
		}
	}
	if _, body := call(t, s, lifecycle(actionCreate, map[string]any{"UHostId": "uhost-vm"})); decode(t, body).Message != "Missing params [Name]" {
		t.Errorf("no name: %s", body)
	}
	for _, img := range s.Images() {
		if img.Name == "from-pod" && (!img.Container || img.SourceGpuType != "A100") {
			t.Errorf("image of a container instance: %+v", img)
		}
	}

	// A failing build frees its instance; SetNewBuild changes the next builds.
	s.SetNewBuild(Image{Total: time.Minute, FailAt: time.Second, FailedReason: "no space"})
	s.SetInstance(Instance{ID: "uhost-new"})
	failed, _ := createImage(t, s, "uhost-new", "fails")
	clock.Add(2 * time.Second)
	if e := describeOne(t, s, failed); e.Status != StatusUnAvailable || e.reason() != "no space" {
		t.Errorf("failed build: %+v", e)
	}
	if _, d := createImage(t, s, "uhost-new", "retry"); d.RetCode != 0 {
		t.Errorf("build after a failure: %+v", d)
	}
	s.SetInstance(Instance{ID: "uhost-pod", Container: true, State: StateStopped})
	if _, d := createImage(t, s, "uhost-pod", "pod-stopped-now"); d.RetCode != RetCodeInstanceState {
		t.Errorf("after SetInstance stopped it: %+v", d)
	}
}

func TestUpdateCustomImage(t *testing.T) {
	s := startServer(t, Config{Images: []Image{
		{ID: "a", Total: time.Minute, Name: "alpha", Description: "old", Tags: []string{"x"}},
		{ID: "b", Total: time.Minute, Name: "beta"},
	}})
	update := func(params map[string]any) decoded {
		_, body := call(t, s, lifecycle(actionUpdate, params))
		return decode(t, body)
	}
	if d := update(map[string]any{"CompShareImageId": "a", "Name": "gamma", "Tags.0": "p", "Tags.1": "q", "Tags.10": "z", "Tags.2": "r"}); d.RetCode != 0 || d.Action != actionUpdate+"Response" {
		t.Fatalf("update: %+v", d)
	}
	e := describeOne(t, s, "a")
	if e.Name != "gamma" || e.Description != "old" || strings.Join(e.Tags, ",") != "p,q,r,z" {
		t.Errorf("renamed and tagged: %+v", e)
	}
	if d := update(map[string]any{"CompShareImageId": "a", "Name": "beta"}); d.RetCode != 230 || !strings.Contains(d.Message, `"beta" is already used by b`) {
		t.Errorf("duplicate name: %+v", d)
	}
	if d := update(map[string]any{"CompShareImageId": "a", "Name": "gamma", "Description": "new", "Visibility": "1"}); d.RetCode != 0 {
		t.Errorf("same name again: %+v", d)
	}
	if e := describeOne(t, s, "a"); e.Name != "gamma" || e.Description != "new" || e.Visibility != 1 || len(e.Tags) != 4 {
		t.Errorf("described and published: %+v", e)
	}
	for params, want := range map[string]decoded{
		"CompShareImageId=nope":           {RetCode: 230, Message: "Params [CompShareImageId] not available"},
		"CompShareImageId=a,Visibility=2": {RetCode: 230, Message: "Params [Visibility] not available"},
		"Name=x":                          {RetCode: 160, Message: "Missing params [CompShareImageId]"},
	} {
		p := map[string]any{}
		for _, kv := range strings.Split(params, ",") {
			k, v, _ := strings.Cut(kv, "=")
			p[k] = v
		}
		if d := update(p); d.RetCode != want.RetCode || d.Message != want.Message {
			t.Errorf("%s: %+v", params, d)
		}
	}

	// A JSON body sends Tags as an array, and can send an empty one.
	c := sdkClient(s, testPrivate)
	req := c.NewGenericRequest()
	if err := req.SetPayload(map[string]any{"Action": actionUpdate, "CompShareImageId": "b", "Tags": []string{}, "Description": ""}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GenericInvoke(req); err != nil {
		t.Fatal(err)
	}
	if e := describeOne(t, s, "b"); len(e.Tags) != 0 || e.Tags == nil {
		t.Errorf("tags cleared: %+v", e)
	}
}

func TestTerminateCustomImage(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, TerminateLinger: 5 * time.Second, Images: []Image{
		{ID: "a", Total: time.Minute, Name: "alpha"},
		{ID: "public", Total: time.Minute, Visibility: 1},
	}})
	terminate := func(id string) decoded {
		_, body := call(t, s, lifecycle(actionTerminate, map[string]any{"CompShareImageId": id}))
		return decode(t, body)
	}
	if d := terminate("a"); d.RetCode != 0 || d.Action != actionTerminate+"Response" {
		t.Fatalf("terminate: %+v", d)
	}
	clock.Add(4 * time.Second)
	if e := describeOne(t, s, "a"); e.CompShareImageId != "a" {
		t.Errorf("not listed any more during the linger: %+v", e)
	}
	if d := terminate("a"); d.RetCode != 0 {
		t.Errorf("second termination during the linger: %+v", d)
	}
	// Its name is free at once.
	if _, body := call(t, s, lifecycle(actionUpdate, map[string]any{"CompShareImageId": "public", "Name": "alpha"})); decode(t, body).RetCode != 0 {
		t.Errorf("name of a terminated image: %s", body)
	}
	clock.Add(time.Second)
	if _, body := call(t, s, progressParams("a")); decode(t, body).RetCode != 230 {
		t.Errorf("progress once gone: %s", body)
	}
	if d := terminate("a"); d.RetCode != 230 {
		t.Errorf("termination once gone: %+v", d)
	}
	if _, ok := s.Image("a"); ok {
		t.Error("Image still has it")
	}
	d := terminate("public")
	if d.RetCode != RetCodeImagePublished || !strings.Contains(d.Message, "public") || !strings.Contains(d.Message, "withdraw") {
		t.Errorf("published image: %+v", d)
	}
	if e := describeOne(t, s, "public"); e.Status != StatusMaking {
		t.Errorf("refused termination changed it: %+v", e)
	}

	// Without a linger the image is gone at once.
	s = startServer(t, Config{Images: []Image{{ID: "a", Total: time.Minute}}})
	call(t, s, lifecycle(actionTerminate, map[string]any{"CompShareImageId": "a"}))
	if _, body := call(t, s, lifecycle(actionDescribe, nil)); decode(t, body).TotalCount != 0 {
		t.Errorf("listed after termination: %s", body)
	}
}

func TestDescribePages(t *testing.T) {
	var images []Image
	for i := range 130 {
		images = append(images, Image{ID: fmt.Sprintf("img-%03d", i), Total: time.Minute})
	}
	s := startServer(t, Config{Images: images})
	for _, tt := range []struct {
		offset, limit string
		first         string
		n             int
	}{
		{"", "", "img-000", 20},
		{"", "500", "img-000", 100},
		{"100", "100", "img-100", 30},
		{"129", "", "img-129", 1},
	} {
		_, body := call(t, s, lifecycle(actionDescribe, map[string]any{"Offset": tt.offset, "Limit": tt.limit}))
		d := decode(t, body)
		if d.TotalCount != 130 || len(d.ImageSet) != tt.n || d.ImageSet[0].CompShareImageId != tt.first {
			t.Errorf("offset %q limit %q: total %d, %d entries", tt.offset, tt.limit, d.TotalCount, len(d.ImageSet))
		}
	}
	if _, body := call(t, s, lifecycle(actionDescribe, map[string]any{"Limit": "-1"})); decode(t, body).Message != "Params [Limit] not available" {
		t.Errorf("bad limit: %s", body)
	}
}

func TestDescribeInstances(t *testing.T) {
	s := startServer(t, Config{Instances: testInstances})
	list := func(params map[string]any) (int, string) {
		t.Helper()
		_, body := call(t, s, lifecycle(actionInstances, params))
		var d struct {
			RetCode, TotalCount int
			UHostSet            []instanceItem
		}
		if err := json.Unmarshal([]byte(body), &d); err != nil || d.RetCode != 0 || !strings.Contains(body, `"UHostSet":[`) {
			t.Fatalf("%v: %s", params, body)
		}
		var ids []string
		for _, h := range d.UHostSet {
			ids = append(ids, h.UHostID)
		}
		return d.TotalCount, strings.Join(ids, ",")
	}
	for _, tt := range []struct {
		params map[string]any
		total  int
		ids    string
	}{
		{nil, 5, "uhost-vm,uhost-pod,uhost-pod-stopped,uhost-vm-stopped,uhost-installing"},
		{map[string]any{"UHostIds.0": "uhost-pod", "UHostIds.1": "uhost-vm"}, 2, "uhost-vm,uhost-pod"},
		{map[string]any{"UHostIds.0": "uhost-sh"}, 0, ""},
		{map[string]any{"Limit": "2", "Offset": "1"}, 5, "uhost-pod,uhost-pod-stopped"},
	} {
		if total, ids := list(tt.params); total != tt.total || ids != tt.ids {
			t.Errorf("%v: %d %s", tt.params, total, ids)
		}
	}

	// Through the SDK, with every field.
	c := sdkClient(s, testPrivate)
	req := c.NewDescribeCompShareInstanceRequest()
	req.UHostIds = []string{"uhost-vm", "uhost-pod-stopped"}
	resp, err := c.DescribeCompShareInstance(req)
	if err != nil || resp.TotalCount != 2 {
		t.Fatalf("SDK: %+v %v", resp, err)
	}
	vm, pod := resp.UHostSet[0], resp.UHostSet[1]
	if vm.UHostId != "uhost-vm" || vm.Name != "vm" || vm.State != StateRunning || vm.GpuType != "4090" || vm.GPU != 1 || vm.Zone != testZone {
		t.Errorf("vm: %+v", vm)
	}
	if pod.Name != "uhost-pod-stopped" || pod.State != StateStopped {
		t.Errorf("pod: %+v", pod)
	}
}

// The whole lifecycle through the SDK's typed calls, which decode every field.
func TestSDKLifecycle(t *testing.T) {
	clock := newClock()
	s := startServer(t, Config{Now: clock.Now, Instances: testInstances, NewBuild: Image{Total: time.Minute}})
	c := sdkClient(s, testPrivate)

	create := c.NewCreateCompShareCustomImageRequest()
	create.UHostId, create.Name = ucloud.String("uhost-pod"), ucloud.String("pod-image")
	created, err := c.CreateCompShareCustomImage(create)
	if err != nil || created.CompShareImageId == "" {
		t.Fatalf("create: %+v %v", created, err)
	}
	id := created.CompShareImageId

	update := c.NewUpdateCompShareImageRequest()
	update.CompShareImageId, update.Description, update.Tags = ucloud.String(id), ucloud.String("d"), []string{"a", "b"}
	if _, err := c.UpdateCompShareImage(update); err != nil {
		t.Fatalf("update: %v", err)
	}

	clock.Add(time.Minute)
	describe := c.NewDescribeCompShareCustomImagesRequest()
	describe.CompShareImageId = ucloud.String(id)
	listed, err := c.DescribeCompShareCustomImages(describe)
	if err != nil || listed.TotalCount != 1 {
		t.Fatalf("describe: %+v %v", listed, err)
	}
	img := listed.ImageSet[0]
	if img.Status != StatusAvailable || img.Container != "True" || img.SourceGpuType != "A100" || img.Description != "d" ||
		strings.Join(img.Tags, ",") != "a,b" || img.Name != "pod-image" || img.ImageType != "Custom" {
		t.Errorf("listed: %+v", img)
	}

	terminate := c.NewTerminateCompShareCustomImageRequest()
	terminate.CompShareImageId = ucloud.String(id)
	if _, err := c.TerminateCompShareCustomImage(terminate); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if _, err := c.TerminateCompShareCustomImage(terminate); sdkRetCode(t, err) != 230 {
		t.Errorf("terminate again: %v", err)
	}
}
