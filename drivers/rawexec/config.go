package rawexec

import (
	"errors"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskconfig"
)

// ConfigSpec is the schema of a raw_exec task's `config` block.
var ConfigSpec = []sdk.ConfigField{
	{Name: "command", Type: sdk.ConfigTypeString, Required: true,
		Description: "program to run: an absolute path, a path relative to the task directory, or a name looked up in the task's PATH"},
	{Name: "args", Type: sdk.ConfigTypeStringList,
		Description: "arguments passed to the command"},
}

// PluginConfigSpec is the schema of the agent's
// `plugin "raw_exec" { config { ... } }` block.
var PluginConfigSpec = []sdk.ConfigField{
	{Name: "enabled", Type: sdk.ConfigTypeBool,
		Description: "run raw_exec tasks on this client (default true)"},
}

// TaskConfig is a decoded, validated task config block.
type TaskConfig = taskconfig.Command

// ValidateConfig reports every problem of a raw_exec task config block, for
// `job validate` and for StartTask.
func ValidateConfig(cfg map[string]interface{}) error {
	_, err := ParseConfig(cfg)
	return err
}

// ParseConfig decodes a task config block; see taskconfig.ParseCommand.
func ParseConfig(cfg map[string]interface{}) (*TaskConfig, error) {
	return taskconfig.ParseCommand(Name, cfg, ConfigSpec)
}

// pluginConfig is the decoded agent-level configuration.
type pluginConfig struct {
	Enabled bool
}

// parsePluginConfig applies raw_exec's defaults to the agent's plugin
// block. Unlike Nomad, which disables raw_exec unless an operator enables
// it, orch enables it by default: it is the only driver of the walking
// skeleton and `orch agent -dev` must run a sample job out of the box.
func parsePluginConfig(cfg map[string]interface{}) (*pluginConfig, error) {
	block := taskconfig.Plugin(Name)
	errs := block.UnknownKeys(cfg, PluginConfigSpec)
	enabled, err := block.Bool(cfg, "enabled", true)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &pluginConfig{Enabled: enabled}, nil
}
