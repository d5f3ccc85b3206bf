package jobspec

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestParseVolumes(t *testing.T) {
	t.Parallel()
	job, err := ParseFile(filepath.Join("testdata", "volumes.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	tg := job.TaskGroups[0]
	wantVols := map[string]*api.VolumeRequest{
		"data":  {Name: "data", Type: api.VolumeTypeHost, Source: "pg-data", PerAlloc: true},
		"certs": {Name: "certs", Type: api.VolumeTypeHost, Source: "ca-certificates", ReadOnly: true},
	}
	if !reflect.DeepEqual(tg.Volumes, wantVols) {
		t.Errorf("volumes = %s, want %s", jsonOf(t, tg.Volumes), jsonOf(t, wantVols))
	}
	// Unset fields stay nil until Canonicalize.
	wantMounts := []*api.VolumeMount{
		{Volume: str("data"), Destination: str("/var/lib/postgresql")},
		{Volume: str("certs"), Destination: str("/etc/ssl/certs"), ReadOnly: api.PointerOf(true)},
	}
	if got := tg.Tasks[0].VolumeMounts; !reflect.DeepEqual(got, wantMounts) {
		t.Errorf("mounts = %s, want %s", jsonOf(t, got), jsonOf(t, wantMounts))
	}
}

func TestParseInvalidVolumes(t *testing.T) {
	t.Parallel()
	want := []string{
		`volumes.hcl:4,16-21: Invalid value for "type"; type must be "host", got "nfs"`,
		`volumes.hcl:8,5-22: Missing volume source; volume "nosource" needs a source: the name of a client's host_volume, for example source = "nosource"`,
		`volumes.hcl:12,5-20: Missing volume type; volume "notype" needs a type; orch supports host volumes: type = "host"`,
		`volumes.hcl:16,12-18: Duplicate volume name; volume names must be unique within a group; "data" is already declared at testdata/invalid/volumes.hcl:3,12-18`,
		`volumes.hcl:22,16-21: Invalid value for "type"; CSI volumes are not supported by orch; use type = "host" with a client host_volume`,
		`volumes.hcl:30,23-29: Unknown volume; volume "logs" is not declared in the group; declared volumes: "data", "fancy", "nosource", "notype"`,
		`volumes.hcl:36,23-29: Invalid value for "destination"; destination must be an absolute path inside the task, such as "/srv/data", got "data"`,
		`volumes.hcl:39,7-19: Missing volume; volume_mount needs volume: the name of one of the group's volume blocks`,
		`volumes.hcl:46,28-43: Invalid value for "propagation_mode"; propagation_mode must be "private", the only mode orch supports, got "bidirectional"`,
	}
	_, err := ParseFile(filepath.Join("testdata", "invalid", "volumes.hcl"))
	if err == nil {
		t.Fatal("parse succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), "testdata/invalid/"+w) {
			t.Errorf("missing error %q in:\n%s", w, err)
		}
	}
}

func TestParseVolumeSnippets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src, want string
	}{
		{
			name: "mount in a group without volumes",
			src:  "job \"w\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n      volume_mount {\n        volume = \"data\"\n        destination = \"/d\"\n      }\n    }\n  }\n}",
			want: `web.hcl:6,18-24: Unknown volume; volume "data" is not declared in the group; the group has no volume block`,
		},
		{
			name: "volume of another group",
			src: "job \"w\" {\n  group \"a\" {\n    volume \"data\" {\n      type = \"host\"\n      source = \"d\"\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n" +
				"  group \"b\" {\n    task \"t\" {\n      driver = \"exec\"\n      volume_mount {\n        volume = \"data\"\n        destination = \"/d\"\n      }\n    }\n  }\n}",
			want: `web.hcl:13,18-24: Unknown volume; volume "data" is not declared in the group; the group has no volume block`,
		},
		{
			name: "empty source",
			src:  "job \"w\" {\n  group \"g\" {\n    volume \"v\" {\n      type = \"host\"\n      source = \"\"\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}",
			want: `web.hcl:5,16-18: Invalid value for "source"; source must name a host_volume of the client, got an empty string`,
		},
		{
			name: "csi-only attribute",
			src:  "job \"w\" {\n  group \"g\" {\n    volume \"v\" {\n      type = \"host\"\n      source = \"v\"\n      access_mode = \"single-node-writer\"\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}",
			want: `web.hcl:6,7-18: Unsupported argument; An argument named "access_mode" is not expected here.`,
		},
		{
			name: "read_only not a bool",
			src:  "job \"w\" {\n  group \"g\" {\n    volume \"v\" {\n      type = \"host\"\n      source = \"v\"\n      read_only = \"yes\"\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}",
			want: `web.hcl:6,19-24: Invalid value for "read_only"; read_only must be true or false`,
		},
		{
			name: "volume at job level",
			src:  "job \"w\" {\n  volume \"v\" {}\n  group \"g\" {\n    task \"t\" { driver = \"exec\" }\n  }\n}",
			want: `web.hcl:2,3-9: Unsupported block type; Blocks of type "volume" are not expected here.`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("web.hcl", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
		})
	}
}
