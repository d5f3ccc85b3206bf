package rawexec_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestStartTaskExitAndLogs(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	cases := []struct {
		name       string
		config     map[string]interface{}
		env        map[string]string
		wantCode   int
		wantStdout []string
		wantStderr []string
		absent     []string // strings that must not be in stdout
	}{
		{
			name:       "exit code and both streams",
			config:     drivertest.Shell("echo hello; echo oops 1>&2; exit 3"),
			wantCode:   3,
			wantStdout: []string{"hello\n"},
			wantStderr: []string{"oops\n"},
		},
		{
			name:       "task env only, with a default PATH",
			config:     drivertest.Shell(`echo "foo=$FOO"; echo "path=$PATH"; env`),
			env:        map[string]string{"FOO": "bar baz"},
			wantStdout: []string{"foo=bar baz\n", "path=/usr/local/sbin:"},
			absent:     []string{catalog.EnvPlugin, "ORCH_PLUGIN_MAGIC_COOKIE"},
		},
		{
			name:       "task PATH resolves a bare command",
			config:     map[string]interface{}{"command": "echo", "args": []interface{}{"from", "path", 42}},
			env:        map[string]string{"PATH": "/nonexistent:/bin:/usr/bin"},
			wantStdout: []string{"from path 42\n"},
		},
		{
			name:       "cwd is the task dir",
			config:     map[string]interface{}{"command": "/bin/sh", "args": []interface{}{"-c", "pwd; test -d local"}},
			wantStdout: []string{"/task\n"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, tc.config)
			for k, v := range tc.env {
				cfg.Env[k] = v
			}
			h := drivertest.Start(t, d, cfg)
			if h.State != sdk.TaskStateRunning || h.Config.ID != cfg.ID {
				t.Errorf("handle = %+v, want a running handle for %s", h, cfg.ID)
			}
			res := drivertest.WaitExit(t, d, cfg.ID, 10*time.Second)
			if res.ExitCode != tc.wantCode || res.Signal != 0 || res.Err != nil {
				t.Errorf("exit = %+v, want code %d", res, tc.wantCode)
			}
			for _, s := range tc.wantStdout {
				fileContains(t, cfg.StdoutPath+".0", s)
			}
			for _, s := range tc.wantStderr {
				fileContains(t, cfg.StderrPath+".0", s)
			}
			out, _ := os.ReadFile(cfg.StdoutPath + ".0")
			for _, s := range tc.absent {
				if strings.Contains(string(out), s) {
					t.Errorf("task saw %q in its environment:\n%s", s, out)
				}
			}
			st, err := d.InspectTask(cfg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != sdk.TaskStateExited || st.ExitResult == nil || st.ExitResult.ExitCode != tc.wantCode ||
				st.CompletedAt.Before(st.StartedAt) {
				t.Errorf("inspect = %+v, want exited with code %d", st, tc.wantCode)
			}
		})
	}
}

func TestStartTaskLogRotation(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	// 2.5 MB through 1 MB files, at most 2 kept: .0 is dropped.
	cfg := taskConfig(t, drivertest.Shell("head -c 2621440 /dev/zero"))
	drivertest.Start(t, d, cfg)
	if res := drivertest.WaitExit(t, d, cfg.ID, 10*time.Second); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
		one, err1 := os.Stat(cfg.StdoutPath + ".1")
		two, err2 := os.Stat(cfg.StdoutPath + ".2")
		_, err0 := os.Stat(cfg.StdoutPath + ".0")
		ok := err1 == nil && err2 == nil && os.IsNotExist(err0) &&
			one.Size() == 1<<20 && two.Size() == 2621440-2<<20
		return ok, "want .0 removed, .1 full and .2 holding the rest"
	})
}

func TestStartTaskErrors(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	cases := []struct {
		name   string
		config map[string]interface{}
		user   string
		mutate func(*sdk.TaskConfig)
		want   string
	}{
		{
			name:   "unknown config key",
			config: map[string]interface{}{"command": "/bin/true", "comand": "x"},
			want:   `raw_exec: unknown config key "comand"; valid keys: args, command`,
		},
		{
			name:   "missing command",
			config: map[string]interface{}{"args": []interface{}{"x"}},
			want:   `raw_exec: config "command" is required`,
		},
		{
			name:   "command not found",
			config: map[string]interface{}{"command": "no-such-command-orch"},
			want:   `raw_exec: config "command" "no-such-command-orch" not found in the task directory or the task's PATH`,
		},
		{
			name:   "relative path not found",
			config: map[string]interface{}{"command": "local/missing.sh"},
			want:   `raw_exec: config "command" "local/missing.sh": no such file`,
		},
		{
			name:   "args not a list",
			config: map[string]interface{}{"command": "/bin/true", "args": "-c"},
			want:   `raw_exec: config "args" must be a list of strings, got a string`,
		},
		{
			name:   "missing log directory",
			config: map[string]interface{}{"command": "/bin/true"},
			mutate: func(c *sdk.TaskConfig) { c.StderrPath = filepath.Join(c.AllocDir, "gone", "web.stderr") },
			want:   "raw_exec: task logs: logrotate: log directory",
		},
		{
			name:   "unknown user",
			config: map[string]interface{}{"command": "/bin/true"},
			user:   "no-such-user-orch",
			want:   `raw_exec: task user "no-such-user-orch"`,
		},
		{
			name:   "host volume mount",
			config: map[string]interface{}{"command": "/bin/true"},
			mutate: func(c *sdk.TaskConfig) { c.Mounts = []sdk.MountConfig{{TaskPath: "/data", HostPath: c.TaskDir}} },
			want:   `raw_exec: task driver "raw_exec" for "web" does not support host volumes`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, tc.config)
			cfg.User = tc.user
			if tc.mutate != nil {
				tc.mutate(cfg)
			}
			_, err := d.StartTask(cfg)
			if err == nil {
				_ = d.DestroyTask(cfg.ID, true)
				t.Fatalf("StartTask succeeded, want error %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "rpc error") {
				t.Errorf("error = %q, want it to contain %q without gRPC decoration", err, tc.want)
			}
			if _, err := d.InspectTask(cfg.ID); !errors.Is(err, sdk.ErrTaskNotFound) {
				t.Errorf("failed start left a task behind: %v", err)
			}
		})
	}
}

func TestStopTask(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	cases := []struct {
		name       string
		config     map[string]interface{}
		signal     string
		timeout    time.Duration
		members    int // processes in the group before the stop
		wantSignal int
		killed     bool // whether the timeout must have run out
	}{
		{
			name:       "default signal ends a cooperative task",
			config:     map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}},
			timeout:    10 * time.Second,
			members:    1,
			wantSignal: int(syscall.SIGINT),
		},
		{
			name:       "named signal",
			config:     map[string]interface{}{"command": "sleep", "args": []interface{}{"1000"}},
			signal:     "SIGTERM",
			timeout:    10 * time.Second,
			members:    1,
			wantSignal: int(syscall.SIGTERM),
		},
		{
			name:       "shell ignoring SIGINT is killed with its children",
			config:     drivertest.Shell(`trap "" INT; sleep 1000 & sleep 1000; echo unreachable`),
			timeout:    300 * time.Millisecond,
			members:    3,
			wantSignal: int(syscall.SIGKILL),
			killed:     true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, tc.config)
			h := drivertest.Start(t, d, cfg)
			pid := drivertest.PidOf(t, h)
			drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
				n := len(groupMembers(t, pid))
				return n == tc.members, fmt.Sprintf("group has %d members, want %d", n, tc.members)
			})
			began := time.Now()
			if err := d.StopTask(cfg.ID, tc.timeout, tc.signal); err != nil {
				t.Fatalf("StopTask: %v", err)
			}
			took := time.Since(began)
			if tc.killed != (took >= tc.timeout) {
				t.Errorf("StopTask took %s with timeout %s; want killed=%v", took, tc.timeout, tc.killed)
			}
			res := drivertest.WaitExit(t, d, cfg.ID, 5*time.Second)
			if res.Signal != tc.wantSignal || res.ExitCode != 128+tc.wantSignal {
				t.Errorf("exit = %+v, want signal %d", res, tc.wantSignal)
			}
			if left := groupMembers(t, pid); len(left) > 0 {
				t.Errorf("processes %v of the task's group survived the stop", left)
			}
		})
	}
}
