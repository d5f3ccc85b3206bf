package agent

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	nomad "github.com/hashicorp/nomad/api"

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

// A job built with HashiCorp's Nomad Go client, with a host volume and a
// mount, arrives without warnings and converts to a valid job; what only
// CSI volumes use is named as ignored.
func TestNomadClientVolumes(t *testing.T) {
	job := nomadJob()
	tg := job.TaskGroups[0]
	tg.Volumes = map[string]*nomad.VolumeRequest{"data": {Name: "data", Type: "host", Source: "pg-data", PerAlloc: true}}
	tg.Tasks[0].VolumeMounts = []*nomad.VolumeMount{{Volume: strPtr("data"), Destination: strPtr("/srv"), ReadOnly: boolPtr(true)}}
	body, err := json.Marshal(&nomad.JobRegisterRequest{Job: job})
	if err != nil {
		t.Fatal(err)
	}
	if got := UnknownFields(body, &api.JobRegisterRequest{}); len(got) != 0 {
		t.Fatalf("warnings %q for a host volume", got)
	}
	var req api.JobRegisterRequest
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	out := ConvertJob(req.Job)
	if err := out.Validate(); err != nil {
		t.Fatalf("invalid: %v", err)
	}
	want := &structs.VolumeRequest{Name: "data", Type: "host", Source: "pg-data", PerAlloc: true}
	if got := out.TaskGroups[0].Volumes["data"]; !reflect.DeepEqual(got, want) {
		t.Errorf("volume %+v, want %+v", got, want)
	}
	if got := out.TaskGroups[0].Tasks[0].VolumeMounts; len(got) != 1 || !got[0].ReadOnly || got[0].Destination != "/srv" || got[0].PropagationMode != "private" {
		t.Errorf("mounts %+v", got)
	}

	tg.Volumes["data"].AccessMode = "single-node-writer"
	body, _ = json.Marshal(&nomad.JobRegisterRequest{Job: job})
	if got := UnknownFields(body, &api.JobRegisterRequest{}); !slices.Equal(got, []string{`Job.TaskGroups[0].Volumes["data"].AccessMode: not supported by orch yet; ignored`}) {
		t.Errorf("warnings %q, want AccessMode named", got)
	}
}
