package mock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
)

func startTask(t *testing.T, d *Driver, id string, config map[string]interface{}) *sdk.TaskConfig {
	t.Helper()
	dir := t.TempDir()
	cfg := &sdk.TaskConfig{
		ID: id, Name: "web", Config: config,
		StdoutPath: filepath.Join(dir, "web.stdout"), StderrPath: filepath.Join(dir, "web.stderr"),
	}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("start task: %v", err)
	}
	return cfg
}

func waitExit(t *testing.T, d *Driver, id string, within time.Duration) *sdk.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("wait task: %v", err)
	}
	res, ok := <-ch
	if !ok {
		t.Fatalf("task %s did not exit within %v", id, within)
	}
	return res
}

func TestDriver_TaskEnds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		config map[string]interface{}
		want   sdk.ExitResult
	}{
		{"clean exit", map[string]interface{}{"run_for": "10ms"}, sdk.ExitResult{}},
		{"exit code as int", map[string]interface{}{"run_for": "1ms", "exit_code": 3}, sdk.ExitResult{ExitCode: 3}},
		{"exit code as float", map[string]interface{}{"run_for": "1ms", "exit_code": float64(7)}, sdk.ExitResult{ExitCode: 7}},
		{"exit signal", map[string]interface{}{"run_for": "0s", "exit_signal": "9"}, sdk.ExitResult{Signal: 9}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := New(hclog.NewNullLogger())
			startTask(t, d, "t1", tc.config)
			got := waitExit(t, d, "t1", 5*time.Second)
			if *got != tc.want {
				t.Fatalf("exit result = %+v, want %+v", *got, tc.want)
			}
			st, err := d.InspectTask("t1")
			if err != nil || st.State != sdk.TaskStateExited {
				t.Fatalf("inspect = %+v, %v; want exited", st, err)
			}
		})
	}
}

func TestDriver_Stop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		config     map[string]interface{}
		timeout    time.Duration
		signal     string
		wantSignal int
	}{
		{"obeys default signal", map[string]interface{}{}, time.Second, "", int(syscall.SIGINT)},
		{"obeys named signal", map[string]interface{}{"kill_after": "5ms"}, time.Second, "SIGTERM", int(syscall.SIGTERM)},
		{"killed after timeout", map[string]interface{}{"kill_after": "1h"}, 20 * time.Millisecond, "SIGTERM", int(syscall.SIGKILL)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := New(hclog.NewNullLogger())
			startTask(t, d, "t1", tc.config)
			if err := d.DestroyTask("t1", false); err == nil {
				t.Fatal("destroying a running task without force succeeded")
			}
			if err := d.StopTask("t1", tc.timeout, tc.signal); err != nil {
				t.Fatalf("stop: %v", err)
			}
			if got := waitExit(t, d, "t1", 5*time.Second); got.Signal != tc.wantSignal {
				t.Fatalf("signal = %d, want %d", got.Signal, tc.wantSignal)
			}
			if err := d.DestroyTask("t1", false); err != nil {
				t.Fatalf("destroy exited task: %v", err)
			}
			if _, err := d.InspectTask("t1"); !errors.Is(err, sdk.ErrTaskNotFound) {
				t.Fatalf("inspect after destroy: %v, want ErrTaskNotFound", err)
			}
		})
	}
}

func TestDriver_StartFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		config  map[string]interface{}
		wantErr string
	}{
		{"start error", map[string]interface{}{"start_error": "boom"}, "boom"},
		{"bad duration", map[string]interface{}{"run_for": "soon"}, `mock_driver: config: run_for must be a non-negative duration such as "10s", got "soon"`},
		{"unknown field", map[string]interface{}{"command": "x"}, `mock_driver: config: unknown field "command" (valid: run_for, exit_code, exit_signal, stdout_string, start_error, start_block_for, kill_after)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := New(hclog.NewNullLogger())
			_, err := d.StartTask(&sdk.TaskConfig{ID: "t1", Config: tc.config})
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestDriver_StdoutString(t *testing.T) {
	t.Parallel()
	d := New(hclog.NewNullLogger())
	cfg := startTask(t, d, "t1", map[string]interface{}{"stdout_string": "hello\n", "run_for": "0s"})
	got, err := os.ReadFile(cfg.StdoutPath + ".0")
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("stdout file = %q, %v; want %q", got, err, "hello\n")
	}
	if _, err := os.Stat(cfg.StderrPath + ".0"); err != nil {
		t.Fatalf("stderr file not created: %v", err)
	}
}

func TestDriver_FingerprintFollowsHealth(t *testing.T) {
	t.Parallel()
	d := New(hclog.NewNullLogger())
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := d.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := <-ch
	if first.Health != sdk.HealthStateHealthy || first.Attributes["driver.mock_driver"] != "1" {
		t.Fatalf("first fingerprint = %+v", first)
	}
	d.SetHealth(sdk.HealthStateUnhealthy, "broken on purpose")
	second := <-ch
	if second.Health != sdk.HealthStateUnhealthy || second.HealthDescription != "broken on purpose" {
		t.Fatalf("second fingerprint = %+v", second)
	}
	cancel()
	// The stream must close once ctx is done; a leak would hang here.
	for range ch {
	}
}
