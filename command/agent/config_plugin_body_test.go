package agent

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
)

func TestPluginBodyToMap(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		json    bool
		want    map[string]interface{}
		wantErr string
	}{
		{name: "attributes and a nested block", src: `
allow_privileged = true
pull_timeout     = "10m"
volumes {
  enabled = true
}`, want: map[string]interface{}{
			"allow_privileged": true, "pull_timeout": "10m",
			"volumes": []interface{}{map[string]interface{}{"enabled": true}},
		}},
		{name: "a repeated block", src: "a {\n x = 1\n}\na {\n x = 2\n}\n", want: map[string]interface{}{
			"a": []interface{}{map[string]interface{}{"x": int64(1)}, map[string]interface{}{"x": int64(2)}},
		}},
		{name: "JSON objects", json: true, src: `{"volumes": {"enabled": true}, "enabled": false}`, want: map[string]interface{}{
			"volumes": map[string]interface{}{"enabled": true}, "enabled": false,
		}},
		{name: "labelled block", src: "volumes \"x\" {\n enabled = true\n}\n", wantErr: `plugin.hcl:1,9-12: block "volumes" takes no labels`},
		{name: "argument and block", src: "volumes = {}\nvolumes {\n}\n", wantErr: `"volumes" is set both as an argument and as a block`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := hclparse.NewParser()
			parse, name := p.ParseHCL, "plugin.hcl"
			if tc.json {
				parse, name = p.ParseJSON, "plugin.json"
			}
			f, diags := parse([]byte(tc.src), name)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, err := pluginBodyToMap(f.Body)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// TestLoadConfig_PluginBlocks: an agent config file may give a plugin's
// config nested blocks, as Nomad's docker plugin documents them.
func TestLoadConfig_PluginBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	src := "plugin \"docker\" {\n  config {\n    allow_privileged = true\n    volumes {\n      enabled = true\n    }\n  }\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig([]string{"-dev", "-config", path}, io.Discard)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := map[string]interface{}{"allow_privileged": true, "volumes": []interface{}{map[string]interface{}{"enabled": true}}}
	if got := cfg.Plugins["docker"]; got == nil || !reflect.DeepEqual(got.Config, want) {
		t.Fatalf("docker plugin config = %#v, want %#v", got, want)
	}
}
