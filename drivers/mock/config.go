package mock

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// taskConfig is the decoded `config` block of a mock task.
type taskConfig struct {
	// runFor is how long the task runs; runForever when run_for is unset,
	// so a test can hold a task running until it stops it.
	runFor        time.Duration
	runForever    bool
	exitCode      int
	exitSignal    int
	stdoutString  string
	startError    string
	startBlockFor time.Duration
	// killAfter is how long the task ignores a stop before it exits.
	killAfter time.Duration
}

// parseTaskConfig decodes raw, accepting the number and string forms that
// HCL and JSON decoding produce for the same value.
func parseTaskConfig(raw map[string]interface{}) (*taskConfig, error) {
	cfg := &taskConfig{runForever: true}
	known := map[string]bool{
		"run_for": true, "exit_code": true, "exit_signal": true, "stdout_string": true,
		"start_error": true, "start_block_for": true, "kill_after": true,
	}
	for k := range raw {
		if !known[k] {
			return nil, fmt.Errorf("config: unknown field %q (valid: run_for, exit_code, exit_signal, stdout_string, start_error, start_block_for, kill_after)", k)
		}
	}
	var err error
	if v, ok := raw["run_for"]; ok {
		if cfg.runFor, err = toDuration("run_for", v); err != nil {
			return nil, err
		}
		cfg.runForever = false
	}
	if cfg.startBlockFor, err = optDuration(raw, "start_block_for"); err != nil {
		return nil, err
	}
	if cfg.killAfter, err = optDuration(raw, "kill_after"); err != nil {
		return nil, err
	}
	if cfg.exitCode, err = optInt(raw, "exit_code"); err != nil {
		return nil, err
	}
	if cfg.exitSignal, err = optInt(raw, "exit_signal"); err != nil {
		return nil, err
	}
	if cfg.stdoutString, err = optString(raw, "stdout_string"); err != nil {
		return nil, err
	}
	if cfg.startError, err = optString(raw, "start_error"); err != nil {
		return nil, err
	}
	return cfg, nil
}

func optDuration(raw map[string]interface{}, key string) (time.Duration, error) {
	v, ok := raw[key]
	if !ok {
		return 0, nil
	}
	return toDuration(key, v)
}

func toDuration(key string, v interface{}) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("config: %s must be a duration string such as \"10s\", got %T", key, v)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("config: %s must be a non-negative duration such as \"10s\", got %q", key, s)
	}
	return d, nil
}

func optInt(raw map[string]interface{}, key string) (int, error) {
	v, ok := raw[key]
	if !ok {
		return 0, nil
	}
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		if n != math.Trunc(n) {
			return 0, fmt.Errorf("config: %s must be an integer, got %v", key, n)
		}
		return int(n), nil
	case string:
		i, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("config: %s must be an integer, got %q", key, n)
		}
		return i, nil
	}
	return 0, fmt.Errorf("config: %s must be an integer, got %T", key, v)
}

func optString(raw map[string]interface{}, key string) (string, error) {
	v, ok := raw[key]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("config: %s must be a string, got %T", key, v)
	}
	return s, nil
}
