package exec_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

// TestExecTask runs commands inside a running exec task, as script checks
// do: they see the task's chroot, PID namespace, environment, user and
// cgroup, and report their exit code; a command that overruns its timeout
// is killed.
func TestExecTask(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	ed, ok := d.(sdk.ExecTaskDriver)
	if !ok {
		t.Fatalf("%T does not implement ExecTask", d)
	}
	cfg := taskConfig(t, drivertest.Shell(`echo READY > /local/ready; exec sleep 100`))
	cfg.Env["CHECK_ME"] = "from-the-task"
	pid := drivertest.PidOf(t, drivertest.Start(t, d, cfg))
	drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
		_, err := os.Stat(filepath.Join(cfg.TaskDir, "local", "ready"))
		return err == nil, "task never got ready"
	})
	hostCgroup, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		cmd      []string
		timeout  time.Duration
		wantCode int
		want     []string // lines the output must contain
		wantErr  string
	}{
		{
			name:    "task's root, pid namespace, env and user",
			cmd:     []string{"/bin/sh", "-c", `test -f /local/ready && echo chroot; echo "env=$CHECK_ME uid=$(id -u)"; echo "init=$(cat /proc/1/cmdline | tr '\0' ' ')"`},
			timeout: 5 * time.Second,
			want:    []string{"chroot", "env=from-the-task uid=65534", "init=sleep 100 "},
		},
		{
			name:    "charged to the task's cgroup",
			cmd:     []string{"/bin/cat", "/proc/self/cgroup"},
			timeout: 5 * time.Second,
			want:    strings.Split(strings.TrimSpace(string(hostCgroup)), "\n"),
		},
		{
			name:     "a bare name is found in the task's PATH; the exit code is kept",
			cmd:      []string{"sh", "-c", "echo warn; exit 3"},
			timeout:  5 * time.Second,
			wantCode: 3,
			want:     []string{"warn"},
		},
		{
			name:    "an overrun is killed at the timeout",
			cmd:     []string{"/bin/sleep", "30"},
			timeout: 300 * time.Millisecond,
			wantErr: "deadline exceeded",
		},
		{
			name:    "a command missing from the chroot",
			cmd:     []string{"/usr/local/bin/nope"},
			timeout: 5 * time.Second,
			wantErr: `command "/usr/local/bin/nope" not found in the chroot`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			res, err := ed.ExecTask(cfg.ID, tc.cmd, tc.timeout)
			if took := time.Since(began); took > tc.timeout+3*time.Second {
				t.Errorf("ExecTask took %s with a %s timeout", took, tc.timeout)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ExecTask = %+v, %v; want an error with %q", res, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ExecTask: %v", err)
			}
			out := string(res.Output)
			if res.ExitCode != tc.wantCode {
				t.Errorf("exit code %d, want %d (output %q)", res.ExitCode, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output %q lacks %q", out, w)
				}
			}
		})
	}

	// The commands are gone, and no thread of the plugin stayed in the
	// task's cgroup, where DestroyTask would kill it with the task.
	if procs := strings.Fields(cgroupFile(t, pid, "memory", "cgroup.procs")); len(procs) != 1 || procs[0] != fmt.Sprint(pid) {
		t.Errorf("task cgroup holds %v, want only the task's pid %d", procs, pid)
	}
	// The task itself is untouched by the commands run in it.
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Fatalf("task process gone after ExecTask: %v", err)
	}
	if err := d.StopTask(cfg.ID, time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	drivertest.WaitExit(t, d, cfg.ID, 5*time.Second)
	if _, err := ed.ExecTask(cfg.ID, []string{"/bin/true"}, time.Second); err == nil || errors.Is(err, sdk.ErrExecNotSupported) || !strings.Contains(err.Error(), "has exited") {
		t.Fatalf("ExecTask on an exited task: %v", err)
	}
}
