package exec

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		config  map[string]interface{}
		want    *TaskConfig
		wantErr []string
	}{
		{name: "command and mixed args", config: map[string]interface{}{"command": "app", "args": []interface{}{"-p", 8080, true}},
			want: &TaskConfig{Command: "app", Args: []string{"-p", "8080", "true"}}},
		{name: "every problem at once", config: map[string]interface{}{"comand": "x", "args": "y"},
			wantErr: []string{`exec: unknown config key "comand"; valid keys: args, command`, `config "command" is required`, `config "args" must be a list of strings, got a string`}},
		{name: "blank command", config: map[string]interface{}{"command": " "}, wantErr: []string{`config "command" must not be empty`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseConfig(tc.config)
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("ParseConfig error = %v, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseConfig = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestChrootEnv(t *testing.T) {
	t.Parallel()
	binds := []bindMount{{Source: "/data/a1/web/local", Target: "/local"}, {Source: "/data/a1/alloc", Target: "/alloc"}}
	got := chrootEnv(map[string]string{
		"NOMAD_TASK_DIR":  "/data/a1/web/local",
		"ORCH_ALLOC_DIR":  "/data/a1/alloc",
		"CONFIG":          "/data/a1/alloc/data/app.conf",
		"LOOKALIKE":       "/data/a1/allocx",
		"NOMAD_TASK_NAME": "web",
	}, binds)
	want := map[string]string{
		"NOMAD_TASK_DIR":  "/local",
		"ORCH_ALLOC_DIR":  "/alloc",
		"CONFIG":          "/alloc/data/app.conf",
		"LOOKALIKE":       "/data/a1/allocx",
		"NOMAD_TASK_NAME": "web",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chrootEnv = %v, want %v", got, want)
	}
}

func TestExistingPaths(t *testing.T) {
	t.Parallel()
	present, missing := existingPaths([]string{"/usr", "/nonexistent-orch-path", "/bin", "/usr"})
	if !reflect.DeepEqual(present, []string{"/bin", "/usr"}) || !reflect.DeepEqual(missing, []string{"/nonexistent-orch-path"}) {
		t.Errorf("existingPaths = %v, %v", present, missing)
	}
}
