package taskconfig

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/drivers/sdk"
)

// Block names a config block in error messages.
type Block struct {
	// Driver prefixes every message ("exec: ...").
	Driver string
	// Name is "config" for a task's block and "plugin config" for the
	// agent's plugin block.
	Name string
}

// Task is the block of a task's driver config.
func Task(driver string) Block { return Block{Driver: driver, Name: "config"} }

// Plugin is the config block of the agent's plugin stanza.
func Plugin(driver string) Block { return Block{Driver: driver, Name: "plugin config"} }

// UnknownKeys returns one error per key of cfg that spec does not define,
// each naming the valid keys.
func (b Block) UnknownKeys(cfg map[string]interface{}, spec []sdk.ConfigField) []error {
	driver := b.Driver
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
		errs = append(errs, fmt.Errorf("%s: unknown config key %q; valid keys: %s", driver, k, strings.Join(valid, ", ")))
	}
	return errs
}

// RequiredString decodes a mandatory, non-blank string key; what is the
// field's meaning, quoted in the error when the key is missing.
func (b Block) RequiredString(cfg map[string]interface{}, key, what string) (string, error) {
	v, ok := cfg[key]
	if !ok {
		return "", fmt.Errorf("%s: %s %q is required: %s", b.Driver, b.Name, key, what)
	}
	s, isString := v.(string)
	switch {
	case !isString:
		return "", fmt.Errorf("%s: %s %q must be a string, got %s", b.Driver, b.Name, key, KindOf(v))
	case strings.TrimSpace(s) == "":
		return "", fmt.Errorf("%s: %s %q must not be empty", b.Driver, b.Name, key)
	}
	return s, nil
}

// Bool decodes an optional boolean key, returning def when it is absent.
func (b Block) Bool(cfg map[string]interface{}, key string, def bool) (bool, error) {
	v, ok := cfg[key]
	if !ok {
		return def, nil
	}
	x, isBool := v.(bool)
	if !isBool {
		return def, fmt.Errorf("%s: %s %q must be true or false, got %s", b.Driver, b.Name, key, KindOf(v))
	}
	return x, nil
}

// StringList accepts what jobspecs and JSON produce for a list of strings.
// Numbers and booleans are converted, as HCL's list(string) would.
func (b Block) StringList(key string, v interface{}) ([]string, error) {
	driver, block := b.Driver, b.Name
	var items []interface{}
	switch l := v.(type) {
	case []string:
		return append([]string(nil), l...), nil
	case []interface{}:
		items = l
	default:
		return nil, fmt.Errorf("%s: %s %q must be a list of strings, got %s", driver, block, key, KindOf(v))
	}
	out := make([]string, len(items))
	for i, item := range items {
		s, ok := ScalarString(item)
		if !ok {
			return nil, fmt.Errorf("%s: %s %q[%d] must be a string, got %s", driver, block, key, i, KindOf(item))
		}
		out[i] = s
	}
	return out, nil
}

// ScalarString converts a string, bool or number to the string HCL's
// string type would make of it; ok is false for anything else.
func ScalarString(v interface{}) (s string, ok bool) {
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

// KindOf names the type of a decoded config value as a user would say it.
func KindOf(v interface{}) string {
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
	case map[string]interface{}, []map[string]interface{}, map[interface{}]interface{}:
		return "a block"
	default:
		return fmt.Sprintf("%T", v)
	}
}
