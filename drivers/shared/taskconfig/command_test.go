package taskconfig_test

import (
	"reflect"
	"testing"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskconfig"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	spec := []sdk.ConfigField{{Name: "command"}, {Name: "args"}}
	tests := []struct {
		name    string
		cfg     map[string]interface{}
		want    *taskconfig.Command
		wantErr string
	}{
		{"command and args", map[string]interface{}{"command": "/bin/echo", "args": []interface{}{"hi", 1.0}},
			&taskconfig.Command{Command: "/bin/echo", Args: []string{"hi", "1"}}, ""},
		{"null args", map[string]interface{}{"command": "app", "args": nil}, &taskconfig.Command{Command: "app"}, ""},
		{"every problem at once", map[string]interface{}{"args": "x", "cmd": "app"}, nil,
			"x: unknown config key \"cmd\"; valid keys: args, command\n" +
				"x: config \"command\" is required: the program to run\n" +
				"x: config \"args\" must be a list of strings, got a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := taskconfig.ParseCommand("x", tt.cfg, spec)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseCommand error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestKindOfAndScalarString(t *testing.T) {
	t.Parallel()
	if k := taskconfig.KindOf([]map[string]interface{}{}); k != "a block" {
		t.Errorf("KindOf(list of blocks) = %q, want a block", k)
	}
	if s, ok := taskconfig.ScalarString(1e20); !ok || s != "1e+20" {
		t.Errorf("ScalarString(1e20) = %q, %v", s, ok)
	}
	if _, ok := taskconfig.ScalarString([]interface{}{}); ok {
		t.Error("ScalarString of a list succeeded")
	}
}
