package taskenv

import "strings"

// Replace substitutes every ${key} in s whose key it knows; unknown
// references stay as written so a typo is visible in the task's output
// rather than silently empty.
func (e *TaskEnv) Replace(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			break
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			break
		}
		end += start
		b.WriteString(s[:start])
		if v, ok := e.lookup(strings.TrimSpace(s[start+2 : end])); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[start : end+1])
		}
		s = s[end+1:]
	}
	b.WriteString(s)
	return b.String()
}

func (e *TaskEnv) lookup(key string) (string, bool) {
	if name, ok := strings.CutPrefix(key, "env."); ok {
		v, found := e.env[name]
		return v, found
	}
	if v, ok := e.node[key]; ok {
		return v, true
	}
	v, ok := e.env[key]
	return v, ok
}

// ReplaceAll interpolates each string of args into a new slice.
func (e *TaskEnv) ReplaceAll(args []string) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = e.Replace(a)
	}
	return out
}

// InterpolateConfig returns a deep copy of a driver config block with
// every string, at any depth, interpolated. Keys are left alone: they are
// the driver's field names.
func (e *TaskEnv) InterpolateConfig(cfg map[string]interface{}) map[string]interface{} {
	if cfg == nil {
		return nil
	}
	out := make(map[string]interface{}, len(cfg))
	for k, v := range cfg {
		out[k] = e.interpolateValue(v)
	}
	return out
}

func (e *TaskEnv) interpolateValue(v interface{}) interface{} {
	switch x := v.(type) {
	case string:
		return e.Replace(x)
	case []string:
		return e.ReplaceAll(x)
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, s := range x {
			out[k] = e.Replace(s)
		}
		return out
	case map[string]interface{}:
		return e.InterpolateConfig(x)
	case []map[string]interface{}:
		out := make([]map[string]interface{}, len(x))
		for i, m := range x {
			out[i] = e.InterpolateConfig(m)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, item := range x {
			out[i] = e.interpolateValue(item)
		}
		return out
	}
	return v
}
