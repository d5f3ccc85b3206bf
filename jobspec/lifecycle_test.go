package jobspec

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParse_InvalidLifecycleAndArtifacts(t *testing.T) {
	t.Parallel()
	want := []string{
		`lifecycle.hcl:6,19-28: Invalid value for "hook"; hook must be one of prestart, poststart, poststop, got "prestop"`,
		`lifecycle.hcl:7,19-26: Invalid value for "sidecar"; sidecar must be true or false, got string "maybe"`,
		`lifecycle.hcl:9,7-16: Duplicate lifecycle block; only one lifecycle block is allowed here; the first is at testdata/invalid/lifecycle.hcl:5,7-16`,
		`lifecycle.hcl:12,16-16: Missing required argument; The argument "source" is required`,
		`lifecycle.hcl:13,23-34: Invalid value for "destination"; destination must be a path inside the task directory, without ".." and not absolute, got "../../etc"`,
		`lifecycle.hcl:14,23-29: Invalid value for "mode"; mode must be one of any, file, dir, got "tree"`,
		`lifecycle.hcl:16,22-35: Invalid value for "checksum"; checksum must be "type:hex" with type md5, sha1, sha256 or sha512 and a digest of that length, got "sha256:abcd"`,
		`lifecycle.hcl:20,18-43: Invalid value for "source"; source must be an http:// or https:// URL, got scheme "ftp"`,
		`lifecycle.hcl:21,19-23,10: Invalid value for "options"; options supports only checksum, got "archive"`,
		`lifecycle.hcl:27,23-31: Invalid value for "destination"; destination must be a path inside the task directory, without ".." and not absolute, got "/etc/x"`,
		`lifecycle.hcl:32,17-17: Missing required argument; The argument "hook" is required`,
	}
	_, err := ParseFile(filepath.Join("testdata", "invalid", "lifecycle.hcl"))
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

// rawExecSchema stands in for the catalog's schema of raw_exec.
func rawExecSchema(driver string) ([]ConfigKey, bool) {
	if driver != "raw_exec" {
		return nil, false
	}
	return []ConfigKey{{Name: "command", Required: true}, {Name: "args"}}, true
}

func TestParse_DriverConfigSchema(t *testing.T) {
	t.Parallel()
	task := func(driver, body string) string {
		return "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"" + driver + "\"\n" + body + "    }\n  }\n}\n"
	}
	cases := []struct {
		name   string
		src    string
		schema TaskConfigSchema
		want   []string // nil: parses
	}{
		{
			name:   "known keys",
			src:    task("raw_exec", "      config {\n        command = \"/bin/true\"\n        args = [\"x\"]\n      }\n"),
			schema: rawExecSchema,
		},
		{
			name:   "misspelt key in a block, at the key",
			src:    task("raw_exec", "      config {\n        command = \"/bin/true\"\n        arsg = [\"x\"]\n      }\n"),
			want:   []string{`web.hcl:7,9-13: Unsupported argument; An argument named "arsg" is not expected here: the raw_exec driver's config accepts args, command. Did you mean "args"?`},
			schema: rawExecSchema,
		},
		{
			name:   "misspelt key in a map argument, at the key",
			src:    task("raw_exec", "      config = {\n        comand = \"/bin/true\"\n      }\n"),
			schema: rawExecSchema,
			want: []string{
				`web.hcl:6,9-15: Unsupported argument; An argument named "comand" is not expected here: the raw_exec driver's config accepts args, command. Did you mean "command"?`,
				`web.hcl:5,7-13: Missing required argument; The argument "command" is required by the raw_exec driver's config`,
			},
		},
		{
			name:   "nested block the driver does not have",
			src:    task("raw_exec", "      config {\n        command = \"x\"\n        mount {\n          source = \"/a\"\n        }\n      }\n"),
			schema: rawExecSchema,
			want:   []string{`web.hcl:7,9-14: Unsupported block type; Blocks of type "mount" are not expected here: the raw_exec driver's config accepts args, command.`},
		},
		{
			name:   "no config at all misses the required key at the task",
			src:    task("raw_exec", ""),
			schema: rawExecSchema,
			want:   []string{`web.hcl:3,5-13: Missing required argument; The argument "command" is required by the raw_exec driver's config`},
		},
		{
			name:   "unknown driver is not checked",
			src:    task("my_plugin", "      config {\n        anything = 1\n      }\n"),
			schema: rawExecSchema,
		},
		{
			name: "no schema given checks nothing",
			src:  task("raw_exec", "      config {\n        comand = \"x\"\n      }\n"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseWithConfig(&ParseConfig{Path: "web.hcl", Body: []byte(tc.src), TaskConfigSchema: tc.schema})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("parse failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("parse succeeded")
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%v", got, len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
		})
	}
}
