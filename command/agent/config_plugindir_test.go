package agent

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestPluginDir(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		want  string
	}{
		{name: "default under the data dir", args: []string{"-client", "-servers", "s", "-data-dir", "/d"}, want: "/d/plugins"},
		{name: "file", files: map[string]string{"a.hcl": `plugin_dir = "/opt/plugins"`},
			args: []string{"-client", "-servers", "s", "-data-dir", "/d", "-config", "$DIR/a.hcl"}, want: "/opt/plugins"},
		{name: "flag beats file", files: map[string]string{"a.hcl": `plugin_dir = "/opt/plugins"`},
			args: []string{"-client", "-servers", "s", "-data-dir", "/d", "-config", "$DIR/a.hcl", "-plugin-dir", "/p"}, want: "/p"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			c, err := LoadConfig(args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.EffectivePluginDir(c.DataDir); got != filepath.Clean(tc.want) {
				t.Errorf("EffectivePluginDir = %q, want %q", got, tc.want)
			}
		})
	}
}
