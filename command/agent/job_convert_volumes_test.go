package agent

import (
	"reflect"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestConvertJob_Volumes(t *testing.T) {
	in := fullAPIJob("web")
	in.TaskGroups[0].Volumes = map[string]*api.VolumeRequest{
		"data":  {Type: api.VolumeTypeHost, Source: "shared-data", ReadOnly: true},
		"cache": {Name: "cache", Type: api.VolumeTypeHost, Source: "cache", PerAlloc: true},
	}
	in.TaskGroups[0].Tasks[0].VolumeMounts = []*api.VolumeMount{
		{Volume: strPtr("data"), Destination: strPtr("/srv/data")},
		nil,
		{Volume: strPtr("cache"), Destination: strPtr("/var/cache"), ReadOnly: boolPtr(true)},
	}
	out := ConvertJob(in)
	wantVols := map[string]*structs.VolumeRequest{
		"data":  {Name: "data", Type: structs.VolumeTypeHost, Source: "shared-data", ReadOnly: true},
		"cache": {Name: "cache", Type: structs.VolumeTypeHost, Source: "cache", PerAlloc: true},
	}
	if got := out.TaskGroups[0].Volumes; !reflect.DeepEqual(got, wantVols) {
		t.Errorf("volumes = %+v, want %+v", got, wantVols)
	}
	wantMounts := []*structs.VolumeMount{
		{Volume: "data", Destination: "/srv/data", PropagationMode: structs.VolumeMountPropagationPrivate},
		{Volume: "cache", Destination: "/var/cache", ReadOnly: true, PropagationMode: structs.VolumeMountPropagationPrivate},
	}
	if got := out.TaskGroups[0].Tasks[0].VolumeMounts; !reflect.DeepEqual(got, wantMounts) {
		t.Errorf("mounts = %+v, want %+v", got, wantMounts)
	}
	if err := out.Validate(); err != nil {
		t.Fatalf("converted job is invalid: %v", err)
	}
	in.TaskGroups[0].Volumes["data"].Source = "changed"
	if out.TaskGroups[0].Volumes["data"].Source != "shared-data" {
		t.Fatal("converted volume shares memory with the request")
	}
}
