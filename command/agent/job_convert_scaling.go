package agent

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// convertScaling converts a group's scaling block. The policy map is
// decoded here into the typed config the servers run; a map that does not
// decode leaves PolicyError for Validate to report with the field.
func convertScaling(in *api.ScalingPolicy) *structs.ScalingPolicy {
	if in == nil {
		return nil
	}
	out := &structs.ScalingPolicy{Type: in.Type, Min: deref(in.Min), Max: deref(in.Max), Enabled: deref(in.Enabled)}
	if out.Type == "" {
		out.Type = structs.ScalingPolicyTypeHorizontal
	}
	if in.Max == nil {
		out.PolicyError = "max is required"
	}
	if len(in.Policy) > 0 {
		cfg, err := DecodeAutoscalePolicy(in.Policy)
		if err != nil {
			out.PolicyError = err.Error()
		} else {
			out.Config = cfg
		}
	}
	return out
}

// DecodeAutoscalePolicy reads a policy map (as jobspec builds it or as a
// JSON client sends it: numbers may be float64 and blocks may come as
// one-element lists, Nomad's HCL1 shape) and fills orch's defaults.
func DecodeAutoscalePolicy(m map[string]interface{}) (*structs.AutoscalePolicy, error) {
	cfg := &structs.AutoscalePolicy{
		EvaluationInterval:     structs.DefaultScalingEvaluationInterval,
		Cooldown:               structs.DefaultScalingCooldown,
		ScaleDownStabilization: structs.DefaultScaleDownStabilization,
	}
	var err error
	for k, v := range m {
		switch k {
		case "evaluation_interval":
			cfg.EvaluationInterval, err = policyDuration(k, v)
		case "cooldown":
			cfg.Cooldown, err = policyDuration(k, v)
		case "check":
			cfg.Checks, err = policyChecks(v)
		case "scale_up":
			cfg.ScaleUp, _, err = policyLimit(k, v, false)
		case "scale_down":
			var window *time.Duration
			cfg.ScaleDown, window, err = policyLimit(k, v, true)
			if window != nil {
				cfg.ScaleDownStabilization = *window
			}
		default:
			err = fmt.Errorf("unknown key %q (valid: evaluation_interval, cooldown, check, scale_up, scale_down)", k)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(cfg.Checks) == 0 {
		return nil, fmt.Errorf("policy needs at least one check block")
	}
	return cfg, nil
}

// policyBlock unwraps a block value: a map, or a list of maps merged.
func policyBlock(field string, v interface{}) (map[string]interface{}, error) {
	switch b := v.(type) {
	case map[string]interface{}:
		return b, nil
	case []interface{}:
		out := map[string]interface{}{}
		for _, e := range b {
			m, err := policyBlock(field, e)
			if err != nil {
				return nil, err
			}
			for k, val := range m {
				out[k] = val
			}
		}
		return out, nil
	case []map[string]interface{}:
		out := map[string]interface{}{}
		for _, m := range b {
			for k, val := range m {
				out[k] = val
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a block, got %T", field, v)
}

func policyChecks(v interface{}) ([]*structs.ScalingCheck, error) {
	blocks, err := policyBlock("check", v)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(blocks))
	for n := range blocks {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*structs.ScalingCheck
	for _, name := range names {
		field := fmt.Sprintf("check %q", name)
		body, err := policyBlock(field, blocks[name])
		if err != nil {
			return nil, err
		}
		c := &structs.ScalingCheck{Name: name, Source: structs.ScalingSourceOrch}
		for k, val := range body {
			switch k {
			case "source":
				c.Source, err = policyString(field+" source", val)
			case "query":
				c.Query, err = policyString(field+" query", val)
			case "strategy":
				c.Strategy, c.Target, err = policyStrategy(field, val)
			default:
				err = fmt.Errorf("%s: unknown key %q (valid: source, query, strategy)", field, k)
			}
			if err != nil {
				return nil, err
			}
		}
		if c.Strategy == "" {
			return nil, fmt.Errorf("%s: missing strategy block", field)
		}
		out = append(out, c)
	}
	return out, nil
}

func policyStrategy(field string, v interface{}) (string, float64, error) {
	blocks, err := policyBlock(field+" strategy", v)
	if err != nil {
		return "", 0, err
	}
	if len(blocks) != 1 {
		return "", 0, fmt.Errorf("%s: want exactly one strategy block, got %d", field, len(blocks))
	}
	for name, b := range blocks {
		body, err := policyBlock(field+" strategy", b)
		if err != nil {
			return "", 0, err
		}
		var target float64
		for k, val := range body {
			if k != "target" {
				return "", 0, fmt.Errorf("%s: strategy %q: unknown key %q (valid: target)", field, name, k)
			}
			if target, err = policyNumber(field+" target", val); err != nil {
				return "", 0, err
			}
		}
		return name, target, nil
	}
	return "", 0, nil
}

// policyLimit decodes scale_up or scale_down; scale_down also carries the
// stabilisation window.
func policyLimit(field string, v interface{}, down bool) (*structs.ScalingLimit, *time.Duration, error) {
	body, err := policyBlock(field, v)
	if err != nil {
		return nil, nil, err
	}
	l := &structs.ScalingLimit{}
	var window *time.Duration
	for k, val := range body {
		var n float64
		switch {
		case k == "allocations" || k == "percent":
			if n, err = policyNumber(field+" "+k, val); err == nil {
				if k == "allocations" {
					l.Allocations = int(n)
				} else {
					l.Percent = int(n)
				}
			}
		case k == "period":
			l.Period, err = policyDuration(field+" period", val)
		case k == "stabilization_window" && down:
			var d time.Duration
			d, err = policyDuration(field+" stabilization_window", val)
			window = &d
		default:
			err = fmt.Errorf("%s: unknown key %q", field, k)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if l.Allocations == 0 && l.Percent == 0 && l.Period == 0 {
		return nil, window, nil
	}
	return l, window, nil
}

func policyString(field string, v interface{}) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string, got %T", field, v)
	}
	return s, nil
}

func policyNumber(field string, v interface{}) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case string:
		f, err := strconv.ParseFloat(n, 64)
		if err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%s must be a number, got %v", field, v)
}

func policyDuration(field string, v interface{}) (time.Duration, error) {
	switch d := v.(type) {
	case string:
		parsed, err := time.ParseDuration(d)
		if err != nil {
			return 0, fmt.Errorf("%s must be a duration such as \"10s\", got %q", field, d)
		}
		return parsed, nil
	case float64:
		return time.Duration(d), nil
	case int64:
		return time.Duration(d), nil
	case int:
		return time.Duration(d), nil
	}
	return 0, fmt.Errorf("%s must be a duration such as \"10s\", got %v", field, v)
}
