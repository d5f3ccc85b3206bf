package docker_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/docker"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      map[string]interface{}
		want    *docker.TaskConfig
		wantErr []string
	}{
		{
			name: "image only",
			in:   map[string]interface{}{"image": "redis:7"},
			want: &docker.TaskConfig{Image: "redis:7"},
		},
		{
			name: "every key, blocks as the jobspec decodes them",
			in: map[string]interface{}{
				"image": "app:1", "command": "/bin/app", "args": []interface{}{"-p", int64(8080)},
				"entrypoint": []interface{}{"/init"}, "ports": []interface{}{"http"},
				"volumes":      []interface{}{"data:/data", "/etc/app:/etc/app:ro"},
				"mount":        []map[string]interface{}{{"type": "tmpfs", "target": "/scratch"}, {"source": "cache", "target": "/cache", "readonly": true}},
				"network_mode": "host", "labels": []map[string]interface{}{{"team": "infra"}},
				"force_pull": true, "work_dir": "/srv", "hostname": "app",
				"auth":       []map[string]interface{}{{"username": "u", "password": "p", "server_address": "reg.example.com"}},
				"privileged": false,
			},
			want: &docker.TaskConfig{
				Image: "app:1", Command: "/bin/app", Args: []string{"-p", "8080"}, Entrypoint: []string{"/init"},
				Ports: []string{"http"},
				Volumes: []docker.Volume{
					{HostPath: "data", ContainerPath: "/data"},
					{HostPath: "/etc/app", ContainerPath: "/etc/app", ReadOnly: true},
				},
				Mounts: []docker.Mount{
					{Type: "tmpfs", Target: "/scratch"},
					{Type: "bind", Source: "cache", Target: "/cache", ReadOnly: true},
				},
				NetworkMode: "host", Labels: map[string]string{"team": "infra"}, ForcePull: true,
				WorkDir: "/srv", Hostname: "app",
				Auth: &docker.Auth{Username: "u", Password: "p", ServerAddress: "reg.example.com"},
			},
		},
		{
			name: "blocks as they arrive over JSON or msgpack",
			in: map[string]interface{}{
				"image":  "app:1",
				"labels": map[string]interface{}{"a": "b"},
				"auth":   map[string]interface{}{"username": "u"},
				"mount":  []interface{}{map[string]interface{}{"type": "volume", "source": "vol", "target": "/v"}},
			},
			want: &docker.TaskConfig{
				Image: "app:1", Labels: map[string]string{"a": "b"}, Auth: &docker.Auth{Username: "u"},
				Mounts: []docker.Mount{{Type: "volume", Source: "vol", Target: "/v"}},
			},
		},
		{
			name:    "misspelt key reported with the valid ones",
			in:      map[string]interface{}{"imagee": "x"},
			wantErr: []string{`unknown key "imagee" in config; valid keys: args, auth, command, entrypoint, force_pull, hostname, image, labels, mount, network_mode, ports, privileged, volumes, work_dir`, `config "image" is required`},
		},
		{
			name:    "unknown key in a block",
			in:      map[string]interface{}{"image": "x", "mount": []interface{}{map[string]interface{}{"sorce": "a", "target": "/a"}}},
			wantErr: []string{`unknown key "sorce" in config mount[0]; valid keys: readonly, source, target, type`, `"source" is required for a bind mount`},
		},
		{
			// Whether the client allows it is StartTask's call.
			name: "privileged accepted by validation",
			in:   map[string]interface{}{"image": "x", "privileged": true},
			want: &docker.TaskConfig{Image: "x", Privileged: true},
		},
		{
			name:    "bad volume",
			in:      map[string]interface{}{"image": "x", "volumes": []interface{}{"/only-host", "a:relative", "a:/b:rx"}},
			wantErr: []string{`"volumes"[0]`, `"volumes"[1]: "a:relative": container path "relative" must be absolute`, `mode "rx" must be "ro" or "rw"`},
		},
		{
			name:    "bad mount type and target",
			in:      map[string]interface{}{"image": "x", "mount": map[string]interface{}{"type": "nfs", "target": "rel"}},
			wantErr: []string{`"type" "nfs" must be one of bind, volume, tmpfs`, `"target" must be an absolute path`},
		},
		{
			name:    "wrong types",
			in:      map[string]interface{}{"image": []interface{}{"x"}, "args": "a b", "force_pull": "yes", "labels": "x"},
			wantErr: []string{`config "image" must be a string, got a list`, `config "args" must be a list of strings`, `config "force_pull" must be true or false`, `config "labels" must be a block`},
		},
		{
			name:    "two auth blocks",
			in:      map[string]interface{}{"image": "x", "auth": []interface{}{map[string]interface{}{}, map[string]interface{}{}}},
			wantErr: []string{`config "auth" may be given only once, got 2`},
		},
		{
			name:    "relative work_dir",
			in:      map[string]interface{}{"image": "x", "work_dir": "srv"},
			wantErr: []string{`config "work_dir" must be an absolute path`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := docker.ParseConfig(tc.in)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("ParseConfig = %+v, want errors %q", got, tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if docker.ValidateConfig(tc.in) == nil {
					t.Error("ValidateConfig accepted what ParseConfig rejects")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseConfig =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestConfigSpecMatchesParser: every key of the published schema is
// accepted and every required one reported missing, because the schema is
// what `job validate` and the docs show.
func TestConfigSpecMatchesParser(t *testing.T) {
	t.Parallel()
	full := map[string]interface{}{}
	for _, f := range docker.ConfigSpec {
		full[f.Name] = sampleValue(t, f)
	}
	if err := docker.ValidateConfig(full); err != nil {
		t.Fatalf("config with every schema key rejected: %v", err)
	}
	for _, f := range docker.ConfigSpec {
		if !f.Required {
			continue
		}
		partial := map[string]interface{}{}
		for k, v := range full {
			if k != f.Name {
				partial[k] = v
			}
		}
		if err := docker.ValidateConfig(partial); err == nil || !strings.Contains(err.Error(), f.Name) {
			t.Errorf("missing required %q: error %v", f.Name, err)
		}
	}
}

func sampleValue(t *testing.T, f sdk.ConfigField) interface{} {
	switch f.Type {
	case sdk.ConfigTypeString:
		switch f.Name {
		case "work_dir", "target":
			return "/x"
		case "type":
			return "bind"
		}
		return "x"
	case sdk.ConfigTypeStringList:
		if f.Name == "volumes" {
			return []interface{}{"a:/a"}
		}
		return []interface{}{"x"}
	case sdk.ConfigTypeBool:
		return false
	case sdk.ConfigTypeStringMap:
		return map[string]interface{}{"k": "v"}
	case sdk.ConfigTypeBlock, sdk.ConfigTypeBlockList:
		block := map[string]interface{}{}
		for _, sub := range f.Fields {
			block[sub.Name] = sampleValue(t, sub)
		}
		return []interface{}{block}
	default:
		t.Fatalf("field %s: type %s not covered by this test", f.Name, f.Type)
		return nil
	}
}
