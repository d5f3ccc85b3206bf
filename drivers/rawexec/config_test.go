package rawexec

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      map[string]interface{}
		want    *TaskConfig
		wantErr []string
	}{
		{
			name: "command only",
			in:   map[string]interface{}{"command": "/bin/true"},
			want: &TaskConfig{Command: "/bin/true"},
		},
		{
			name: "args as decoded from HCL or JSON",
			in:   map[string]interface{}{"command": "app", "args": []interface{}{"-p", float64(8080), int64(-1), uint64(7), true, 1.5}},
			want: &TaskConfig{Command: "app", Args: []string{"-p", "8080", "-1", "7", "true", "1.5"}},
		},
		{
			name: "args as []string",
			in:   map[string]interface{}{"command": "app", "args": []string{"a", "b"}},
			want: &TaskConfig{Command: "app", Args: []string{"a", "b"}},
		},
		{
			name: "null args",
			in:   map[string]interface{}{"command": "app", "args": nil},
			want: &TaskConfig{Command: "app"},
		},
		{
			name:    "misspelt key reported with the valid ones",
			in:      map[string]interface{}{"comand": "x"},
			wantErr: []string{`raw_exec: unknown config key "comand"; valid keys: args, command`, `config "command" is required`},
		},
		{
			name:    "every unknown key",
			in:      map[string]interface{}{"command": "x", "b": 1, "a": 2},
			wantErr: []string{`unknown config key "a"`, `unknown config key "b"`},
		},
		{
			name:    "empty command",
			in:      map[string]interface{}{"command": "  "},
			wantErr: []string{`config "command" must not be empty`},
		},
		{
			name:    "command of the wrong type",
			in:      map[string]interface{}{"command": []interface{}{"sh"}},
			wantErr: []string{`config "command" must be a string, got a list`},
		},
		{
			name:    "nested block in args",
			in:      map[string]interface{}{"command": "x", "args": []interface{}{"ok", map[string]interface{}{}}},
			wantErr: []string{`config "args"[1] must be a string, got a block`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseConfig(tc.in)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("ParseConfig = %+v, want errors %q", got, tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if ValidateConfig(tc.in) == nil {
					t.Error("ValidateConfig accepted what ParseConfig rejects")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseConfig = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestConfigSpecMatchesParser(t *testing.T) {
	t.Parallel()
	// Every key in the exported schema must be accepted, and a required one
	// must be reported missing: the schema is what `job validate` shows.
	full := map[string]interface{}{}
	for _, f := range ConfigSpec {
		switch f.Type {
		case "string":
			full[f.Name] = "x"
		case "list(string)":
			full[f.Name] = []interface{}{"x"}
		default:
			t.Fatalf("field %s: type %s not covered by this test", f.Name, f.Type)
		}
	}
	if err := ValidateConfig(full); err != nil {
		t.Fatalf("config with every schema key rejected: %v", err)
	}
	for _, f := range ConfigSpec {
		if !f.Required {
			continue
		}
		partial := map[string]interface{}{}
		for k, v := range full {
			if k != f.Name {
				partial[k] = v
			}
		}
		if err := ValidateConfig(partial); err == nil || !strings.Contains(err.Error(), f.Name) {
			t.Errorf("missing required %q: error %v", f.Name, err)
		}
	}
}
