package structs_test

import (
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// jobWithVolume is mock.Job() whose group asks for the host volume "data"
// and whose task mounts it at /srv/data.
func jobWithVolume() *structs.Job {
	j := mock.Job()
	j.TaskGroups[0].Volumes = map[string]*structs.VolumeRequest{
		"data": {Name: "data", Type: structs.VolumeTypeHost, Source: "shared-data"},
	}
	j.TaskGroups[0].Tasks[0].VolumeMounts = []*structs.VolumeMount{
		{Volume: "data", Destination: "/srv/data", PropagationMode: structs.VolumeMountPropagationPrivate},
	}
	return j
}

func TestJobValidateVolumes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(j *structs.Job)
		want   []string // nil: valid
	}{
		{"host volume and mount", func(*structs.Job) {}, nil},
		{"per_alloc in a service job", func(j *structs.Job) { j.TaskGroups[0].Volumes["data"].PerAlloc = true }, nil},
		{"unknown type", func(j *structs.Job) { j.TaskGroups[0].Volumes["data"].Type = "nfs" },
			[]string{`TaskGroups["web"].Volumes["data"].Type: "nfs" is not a volume type: want "host"`}},
		{"csi", func(j *structs.Job) { j.TaskGroups[0].Volumes["data"].Type = "csi" },
			[]string{`Volumes["data"].Type: CSI volumes are not supported by orch`}},
		{"missing source", func(j *structs.Job) { j.TaskGroups[0].Volumes["data"].Source = "" },
			[]string{`Volumes["data"].Source: missing source`}},
		{"name differs from key", func(j *structs.Job) { j.TaskGroups[0].Volumes["data"].Name = "other" },
			[]string{`Volumes["data"].Name: "other" differs from the volume's key "data"`}},
		{"per_alloc in a system job", func(j *structs.Job) {
			j.Type = structs.JobTypeSystem
			j.TaskGroups[0].Volumes["data"].PerAlloc = true
		}, []string{`Volumes["data"].PerAlloc: a system job cannot use per_alloc volumes`}},
		{"mount of a volume the group lacks", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].VolumeMounts[0].Volume = "logs" },
			[]string{`Tasks["web"].VolumeMounts[0].Volume: "logs" is not a volume of the group: want one of "data"`}},
		{"mount in a group without volumes", func(j *structs.Job) { j.TaskGroups[0].Volumes = nil },
			[]string{`VolumeMounts[0].Volume: "data" is not a volume of the group: want one of none (the group has no volume block)`}},
		{"relative destination", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].VolumeMounts[0].Destination = "srv/data" },
			[]string{`VolumeMounts[0].Destination: "srv/data" is not an absolute path`}},
		{"missing destination", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].VolumeMounts[0].Destination = "" },
			[]string{`VolumeMounts[0].Destination: missing destination`}},
		{"two mounts at one place", func(j *structs.Job) {
			tk := j.TaskGroups[0].Tasks[0]
			tk.VolumeMounts = append(tk.VolumeMounts, &structs.VolumeMount{Volume: "data", Destination: "/srv/data/"})
		}, []string{`VolumeMounts[1].Destination: "/srv/data/" is already the destination of volume mount 0`}},
		{"propagation other than private", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].VolumeMounts[0].PropagationMode = structs.VolumeMountPropagationBidirectional
		}, []string{`VolumeMounts[0].PropagationMode: "bidirectional" is not supported by orch`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := jobWithVolume()
			tc.change(j)
			err := j.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate passed, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestVolumeCopiesAreDeep(t *testing.T) {
	t.Parallel()
	j := jobWithVolume()
	c := j.Copy()
	c.TaskGroups[0].Volumes["data"].Source = "changed"
	c.TaskGroups[0].Tasks[0].VolumeMounts[0].Destination = "/changed"
	if j.TaskGroups[0].Volumes["data"].Source != "shared-data" || j.TaskGroups[0].Tasks[0].VolumeMounts[0].Destination != "/srv/data" {
		t.Fatal("job copy shares volume requests or mounts")
	}
	n := mock.Node()
	n.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"shared-data": {Name: "shared-data", Path: "/srv"}}
	nc := n.Copy()
	nc.HostVolumes["shared-data"].ReadOnly = true
	if n.HostVolumes["shared-data"].ReadOnly {
		t.Fatal("node copy shares host volumes")
	}
}

func TestVolumeSourceFor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		allocName string
		perAlloc  bool
		want      string
	}{
		{"web.cache[0]", false, "data"},
		{"web.cache[3]", true, "data[3]"},
		{"web.cache[12]", true, "data[12]"},
		{"job.with[brackets].g[1]", true, "data[1]"},
		{"no-index", true, "data"},
	}
	for _, tc := range cases {
		t.Run(tc.allocName, func(t *testing.T) {
			req := &structs.VolumeRequest{Source: "data", PerAlloc: tc.perAlloc}
			if got := req.SourceFor(tc.allocName); got != tc.want {
				t.Fatalf("SourceFor(%q) = %q, want %q", tc.allocName, got, tc.want)
			}
		})
	}
}
