package docker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

// ExecTask runs commands in the running container through the plugin's
// gRPC boundary, as script checks do.
func TestExecTask(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, prog("sleep", "60s"))
	start(t, d, cfg)
	ed, ok := d.(sdk.ExecTaskDriver)
	if !ok {
		t.Fatalf("%T does not offer ExecTask", d)
	}
	cases := []struct {
		name     string
		cmd      []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"output of both streams", []string{"/testprog", "echo", "to-stdout", "to-stderr"}, 0, []string{"to-stdout", "to-stderr"}, ""},
		{"exit code", []string{"/testprog", "exit", "3"}, 3, nil, ""},
		{"timeout", []string{"/testprog", "sleep", "30s"}, 0, nil, "deadline exceeded"},
		{"missing binary", []string{"/nope"}, 0, nil, "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ed.ExecTask(cfg.ID, tc.cmd, 2*time.Second)
			if tc.wantErr != "" {
				if err == nil && res != nil && res.ExitCode != 0 && strings.Contains(string(res.Output), tc.wantErr) {
					return // the engine reports a missing binary as exit 126/127 with a message
				}
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ExecTask = %+v, %v; want an error containing %q", res, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.wantCode {
				t.Errorf("exit code %d, want %d (output %q)", res.ExitCode, tc.wantCode, res.Output)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(string(res.Output), w) {
					t.Errorf("output %q lacks %q", res.Output, w)
				}
			}
		})
	}
	if _, err := ed.ExecTask("no-such-task", []string{"/testprog", "exit", "0"}, time.Second); err == nil {
		t.Error("exec in an unknown task succeeded")
	}
}
