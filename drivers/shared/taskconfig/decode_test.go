package taskconfig_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskconfig"
)

func TestBlock(t *testing.T) {
	t.Parallel()
	spec := []sdk.ConfigField{{Name: "command"}, {Name: "args"}, {Name: "enabled"}}
	cfg := map[string]interface{}{
		"command": "", "args": []interface{}{"a", 1.0, 2.5, true, map[string]interface{}{}}, "enabled": "yes", "zz": 1, "aa": 2,
	}
	task, plugin := taskconfig.Task("exec"), taskconfig.Plugin("exec")
	errs := task.UnknownKeys(cfg, spec)
	_, sErr := task.RequiredString(cfg, "command", "the program")
	_, missErr := plugin.RequiredString(map[string]interface{}{}, "default_user", "a user name")
	_, lErr := task.StringList("args", cfg["args"])
	_, bErr := plugin.Bool(cfg, "enabled", true)
	got := []string{errs[0].Error(), errs[1].Error(), sErr.Error(), missErr.Error(), lErr.Error(), bErr.Error()}
	want := []string{
		`exec: unknown config key "aa"; valid keys: args, command, enabled`,
		`exec: unknown config key "zz"; valid keys: args, command, enabled`,
		`exec: config "command" must not be empty`,
		`exec: plugin config "default_user" is required: a user name`,
		`exec: config "args"[4] must be a string, got a block`,
		`exec: plugin config "enabled" must be true or false, got a string`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStringListConverts(t *testing.T) {
	t.Parallel()
	got, err := taskconfig.Task("x").StringList("args", []interface{}{"a", 8080.0, 2.5, true, int64(-3)})
	if err != nil || !reflect.DeepEqual(got, []string{"a", "8080", "2.5", "true", "-3"}) {
		t.Errorf("StringList = %q, %v", got, err)
	}
	if d, err := taskconfig.Task("x").Bool(map[string]interface{}{}, "enabled", true); err != nil || !d {
		t.Errorf("Bool of a missing key = %v, %v; want the default", d, err)
	}
	if _, err := taskconfig.Task("x").StringList("args", "a b"); err == nil || err.Error() != `x: config "args" must be a list of strings, got a string` {
		t.Errorf("StringList of a string = %v, want a type error", err)
	}
}
