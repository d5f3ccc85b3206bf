package fingerprint

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestDetectHostVolumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	vol := func(path string, ro bool) map[string]*structs.ClientHostVolumeConfig {
		return map[string]*structs.ClientHostVolumeConfig{"data": {Name: "data", Path: path, ReadOnly: ro}}
	}
	cases := []struct {
		name    string
		volumes map[string]*structs.ClientHostVolumeConfig
		want    map[string]*structs.ClientHostVolumeConfig
		wantErr string
	}{
		{name: "none", volumes: nil, want: nil},
		{name: "existing directory", volumes: vol(dir+"/", true), want: vol(dir, true)},
		{name: "missing path", volumes: vol(filepath.Join(dir, "nope"), false),
			wantErr: `host_volume "data": path "` + filepath.Join(dir, "nope") + `" does not exist`},
		{name: "a file", volumes: vol(file, false), wantErr: `host_volume "data": path "` + file + `" is not a directory`},
		{name: "relative", volumes: vol("srv/data", false), wantErr: `host_volume "data": path "srv/data" must be absolute`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := &Result{}
			err := detectHostVolumes(Config{HostVolumes: tc.volumes}, res, hclog.NewNullLogger())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(res.HostVolumes, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", res.HostVolumes, err, tc.want)
			}
		})
	}
}
