package taskrunner

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestTaskMounts(t *testing.T) {
	t.Parallel()
	node := mock.Node()
	node.HostVolumes = map[string]*structs.ClientHostVolumeConfig{
		"data":     {Name: "data", Path: "/srv/data"},
		"certs":    {Name: "certs", Path: "/etc/ssl/certs", ReadOnly: true},
		"shard[2]": {Name: "shard[2]", Path: "/srv/shard2"},
	}
	host := func(req ...*structs.VolumeRequest) map[string]*structs.VolumeRequest {
		out := map[string]*structs.VolumeRequest{}
		for _, r := range req {
			r.Type = structs.VolumeTypeHost
			out[r.Name] = r
		}
		return out
	}
	cases := []struct {
		name    string
		volumes map[string]*structs.VolumeRequest
		mounts  []*structs.VolumeMount
		want    []sdk.MountConfig
		wantErr string
	}{
		{name: "no mounts"},
		{name: "writable", volumes: host(&structs.VolumeRequest{Name: "d", Source: "data"}),
			mounts: []*structs.VolumeMount{{Volume: "d", Destination: "/data", PropagationMode: "private"}},
			want:   []sdk.MountConfig{{TaskPath: "/data", HostPath: "/srv/data", PropagationMode: "private"}}},
		{name: "read-only by the mount", volumes: host(&structs.VolumeRequest{Name: "d", Source: "data"}),
			mounts: []*structs.VolumeMount{{Volume: "d", Destination: "/data", ReadOnly: true}},
			want:   []sdk.MountConfig{{TaskPath: "/data", HostPath: "/srv/data", Readonly: true}}},
		{name: "read-only by the request", volumes: host(&structs.VolumeRequest{Name: "d", Source: "data", ReadOnly: true}),
			mounts: []*structs.VolumeMount{{Volume: "d", Destination: "/data"}},
			want:   []sdk.MountConfig{{TaskPath: "/data", HostPath: "/srv/data", Readonly: true}}},
		{name: "read-only by the node", volumes: host(&structs.VolumeRequest{Name: "c", Source: "certs", ReadOnly: true}),
			mounts: []*structs.VolumeMount{{Volume: "c", Destination: "/certs"}},
			want:   []sdk.MountConfig{{TaskPath: "/certs", HostPath: "/etc/ssl/certs", Readonly: true}}},
		{name: "one volume at two places", volumes: host(&structs.VolumeRequest{Name: "d", Source: "data"}),
			mounts: []*structs.VolumeMount{{Volume: "d", Destination: "/a"}, {Volume: "d", Destination: "/b", ReadOnly: true}},
			want:   []sdk.MountConfig{{TaskPath: "/a", HostPath: "/srv/data"}, {TaskPath: "/b", HostPath: "/srv/data", Readonly: true}}},
		{name: "per_alloc picks the allocation's own", volumes: host(&structs.VolumeRequest{Name: "s", Source: "shard", PerAlloc: true}),
			mounts: []*structs.VolumeMount{{Volume: "s", Destination: "/shard"}},
			want:   []sdk.MountConfig{{TaskPath: "/shard", HostPath: "/srv/shard2"}}},
		{name: "host volume gone from the node", volumes: host(&structs.VolumeRequest{Name: "d", Source: "moved"}),
			mounts:  []*structs.VolumeMount{{Volume: "d", Destination: "/data"}},
			wantErr: `volume "d": host volume "moved" is not configured on this node`},
		{name: "mount of an undeclared volume", volumes: host(&structs.VolumeRequest{Name: "d", Source: "data"}),
			mounts:  []*structs.VolumeMount{{Volume: "x", Destination: "/data"}},
			wantErr: `volume mount 0: the group has no volume "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Volumes = tc.volumes
			task := job.TaskGroups[0].Tasks[0]
			task.VolumeMounts = tc.mounts
			alloc := mock.AllocFor(job, node, 2)
			got, err := taskMounts(alloc, task, node)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
