package taskconfig

import (
	"errors"

	"github.com/orch-dev/orch/drivers/sdk"
)

// Command is the config block of a driver that runs one program with its
// arguments (raw_exec, exec).
type Command struct {
	Command string
	Args    []string
}

// ParseCommand decodes a `command` and `args` block against spec,
// reporting every problem at once. Unknown keys are errors, not ignored,
// because a misspelt key would otherwise silently do nothing.
func ParseCommand(driver string, cfg map[string]interface{}, spec []sdk.ConfigField) (*Command, error) {
	block := Task(driver)
	errs := block.UnknownKeys(cfg, spec)
	tc := &Command{}
	cmd, err := block.RequiredString(cfg, "command", "the program to run")
	if err != nil {
		errs = append(errs, err)
	}
	tc.Command = cmd
	if v, ok := cfg["args"]; ok && v != nil {
		args, err := block.StringList("args", v)
		if err != nil {
			errs = append(errs, err)
		}
		tc.Args = args
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tc, nil
}
