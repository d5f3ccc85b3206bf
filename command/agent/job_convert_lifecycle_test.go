package agent

import (
	"reflect"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestConvertJob_LifecycleAndArtifacts(t *testing.T) {
	in := fullAPIJob("web")
	task := in.TaskGroups[0].Tasks[0]
	task.Lifecycle = &api.TaskLifecycle{Hook: api.TaskLifecycleHookPrestart, Sidecar: true}
	task.Artifacts = []*api.TaskArtifact{
		{GetterSource: strPtr("https://example.com/app.tgz"), GetterOptions: map[string]string{"checksum": "md5:00"}},
		nil,
		{GetterSource: strPtr("https://example.com/tool"), GetterMode: strPtr(api.GetterModeFile),
			GetterHeaders: map[string]string{"X-Token": "t"}},
	}
	out := ConvertJob(in)
	got := out.TaskGroups[0].Tasks[0]
	if want := (&structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart, Sidecar: true}); !reflect.DeepEqual(got.Lifecycle, want) {
		t.Errorf("lifecycle = %+v, want %+v", got.Lifecycle, want)
	}
	want := []*structs.TaskArtifact{
		{GetterSource: "https://example.com/app.tgz", GetterOptions: map[string]string{"checksum": "md5:00"},
			GetterMode: structs.GetterModeAny, RelativeDest: "local/"},
		{GetterSource: "https://example.com/tool", GetterHeaders: map[string]string{"X-Token": "t"},
			GetterMode: structs.GetterModeFile, RelativeDest: "local/tool"},
	}
	if !reflect.DeepEqual(got.Artifacts, want) {
		t.Fatalf("artifacts = %+v, want %+v", got.Artifacts, want)
	}
	task.Artifacts[0].GetterOptions["checksum"] = "changed"
	if got.Artifacts[0].GetterOptions["checksum"] != "md5:00" {
		t.Fatal("converted artifact shares its options with the request")
	}
	if err := out.Validate(); err == nil {
		t.Fatal("a group whose only task is a sidecar was accepted")
	}
}
