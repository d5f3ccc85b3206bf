package rawexec

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/drivers/sdk"
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
type TaskConfig struct {
	Command string
	Args    []string
}

// ValidateConfig reports every problem of a raw_exec task config block, for
// `job validate` and for StartTask.
func ValidateConfig(cfg map[string]interface{}) error {
	_, err := ParseConfig(cfg)
	return err
}

// ParseConfig decodes a task config block. Unknown keys are errors, not
// ignored, because a misspelt key would otherwise silently do nothing.
func ParseConfig(cfg map[string]interface{}) (*TaskConfig, error) {
	var errs []error
	errs = append(errs, unknownKeys(cfg, ConfigSpec)...)
	tc := &TaskConfig{}

	switch v, ok := cfg["command"]; {
	case !ok:
		errs = append(errs, errors.New(`raw_exec: config "command" is required: the program to run`))
	default:
		s, isString := v.(string)
		switch {
		case !isString:
			errs = append(errs, fmt.Errorf(`raw_exec: config "command" must be a string, got %s`, kindOf(v)))
		case strings.TrimSpace(s) == "":
			errs = append(errs, errors.New(`raw_exec: config "command" must not be empty`))
		default:
			tc.Command = s
		}
	}

	if v, ok := cfg["args"]; ok && v != nil {
		args, err := stringList("args", v)
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

// pluginConfig is the decoded agent-level configuration.
type pluginConfig struct {
	Enabled bool
}

// parsePluginConfig applies raw_exec's defaults to the agent's plugin
// block. Unlike Nomad, which disables raw_exec unless an operator enables
// it, orch enables it by default: it is the only driver of the walking
// skeleton and `orch agent -dev` must run a sample job out of the box.
func parsePluginConfig(cfg map[string]interface{}) (*pluginConfig, error) {
	pc := &pluginConfig{Enabled: true}
	errs := unknownKeys(cfg, PluginConfigSpec)
	if v, ok := cfg["enabled"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			errs = append(errs, fmt.Errorf(`raw_exec: plugin config "enabled" must be true or false, got %s`, kindOf(v)))
		}
		pc.Enabled = b
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pc, nil
}

func unknownKeys(cfg map[string]interface{}, spec []sdk.ConfigField) []error {
	valid := make([]string, len(spec))
	for i, f := range spec {
		valid[i] = f.Name
	}
	sort.Strings(valid)
	var unknown []string
	for k := range cfg {
		if !slices.Contains(valid, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	errs := make([]error, 0, len(unknown))
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("raw_exec: unknown config key %q; valid keys: %s", k, strings.Join(valid, ", ")))
	}
	return errs
}

// stringList accepts what jobspecs and JSON produce for a list of strings.
// Numbers and booleans are converted, as HCL's list(string) would.
func stringList(key string, v interface{}) ([]string, error) {
	var items []interface{}
	switch l := v.(type) {
	case []string:
		return append([]string(nil), l...), nil
	case []interface{}:
		items = l
	default:
		return nil, fmt.Errorf("raw_exec: config %q must be a list of strings, got %s", key, kindOf(v))
	}
	out := make([]string, len(items))
	for i, item := range items {
		s, ok := scalarString(item)
		if !ok {
			return nil, fmt.Errorf("raw_exec: config %q[%d] must be a string, got %s", key, i, kindOf(item))
		}
		out[i] = s
	}
	return out, nil
}

func scalarString(v interface{}) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10), true
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	default:
		return "", false
	}
}

func kindOf(v interface{}) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return "a number"
	case []interface{}, []string:
		return "a list"
	case map[string]interface{}, map[interface{}]interface{}:
		return "a block"
	default:
		return fmt.Sprintf("%T", v)
	}
}
