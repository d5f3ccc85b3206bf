package rawexec_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestTaskStats(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	cfg := taskConfig(t, drivertest.Shell("sleep 1000 & sleep 1000; echo unreachable"))
	h := drivertest.Start(t, d, cfg)
	pid := drivertest.PidOf(t, h)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := d.TaskStats(ctx, cfg.ID, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
	deadline := time.After(5 * time.Second)
	for {
		var u *sdk.TaskResourceUsage
		select {
		case u = <-ch:
		case <-deadline:
			t.Fatal("no sample with the whole process tree within 5s")
		}
		if u == nil {
			t.Fatal("stats stream closed while the task runs")
		}
		if len(u.Pids) == 3 {
			if !slices.Contains(u.Pids, pid) {
				t.Errorf("pids %v do not include the task's pid %d", u.Pids, pid)
			}
			if u.MemoryRSS == 0 || u.Timestamp == 0 {
				t.Errorf("sample = %+v, want a non-zero RSS and timestamp", u)
			}
			break
		}
	}
	cancel()
	drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
		select {
		case _, ok := <-ch:
			return !ok, "stats channel still open after cancel"
		default:
			return false, "stats channel still open after cancel"
		}
	})
}

// TestTaskStatsShortInterval: asked for samples more often than the
// shared /proc scan refreshes, the driver still reports a busy task as
// busy in every sample after the first, never a repeat that reads as idle.
func TestTaskStatsShortInterval(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	cfg := taskConfig(t, drivertest.Shell("while :; do :; done"))
	drivertest.Start(t, d, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := d.TaskStats(ctx, cfg.ID, 20*time.Millisecond)
	if err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
	var prev *sdk.TaskResourceUsage
	for n := 0; n < 5; n++ {
		u, ok := <-ch
		if !ok {
			t.Fatalf("stats stream ended after %d samples: %v", n, ctx.Err())
		}
		if prev != nil {
			if u.Timestamp <= prev.Timestamp {
				t.Errorf("sample %d at %d, not after the previous one at %d", n, u.Timestamp, prev.Timestamp)
			}
			if u.CPUPercent <= 0 || u.CPUUserMS <= prev.CPUUserMS {
				t.Errorf("sample %d of a spinning task: %.1f%% CPU, user ms %.0f after %.0f", n, u.CPUPercent, u.CPUUserMS, prev.CPUUserMS)
			}
		}
		prev = u
	}
}

func TestFingerprintAndConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		config     map[string]interface{}
		wantErr    string
		wantHealth sdk.HealthState
		wantAttr   string
		startErr   string
	}{
		{name: "enabled by default", wantHealth: sdk.HealthStateHealthy, wantAttr: "1"},
		{name: "explicitly enabled", config: map[string]interface{}{"enabled": true}, wantHealth: sdk.HealthStateHealthy, wantAttr: "1"},
		{
			name: "disabled", config: map[string]interface{}{"enabled": false},
			wantHealth: sdk.HealthStateUndetected, startErr: "raw_exec: driver is disabled",
		},
		{name: "unknown key", config: map[string]interface{}{"enable": true}, wantErr: `raw_exec: unknown config key "enable"; valid keys: enabled`},
		{name: "wrong type", config: map[string]interface{}{"enabled": "yes"}, wantErr: `raw_exec: plugin config "enabled" must be true or false, got a string`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := drivertest.Launch(t, "raw_exec").Driver
			info, err := d.PluginInfo()
			if err != nil || info.Name != "raw_exec" || info.Version == "" {
				t.Fatalf("PluginInfo = %+v, %v", info, err)
			}
			err = d.SetConfig(&sdk.PluginConfig{Config: tc.config})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("SetConfig error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SetConfig: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ch, err := d.Fingerprint(ctx)
			if err != nil {
				t.Fatalf("Fingerprint: %v", err)
			}
			fp, ok := <-ch
			if !ok {
				t.Fatal("fingerprint stream closed without a value")
			}
			if fp.Health != tc.wantHealth || fp.Attributes["driver.raw_exec"] != tc.wantAttr {
				t.Errorf("fingerprint = %+v, want health %s and driver.raw_exec=%q", fp, tc.wantHealth, tc.wantAttr)
			}
			if tc.startErr != "" {
				cfg := taskConfig(t, map[string]interface{}{"command": "/bin/true"})
				if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), tc.startErr) {
					t.Errorf("StartTask error = %v, want %q", err, tc.startErr)
				}
			}
		})
	}
}

func TestUnknownTask(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	ctx := context.Background()
	const id = "no-such-task"
	calls := map[string]func() error{
		"WaitTask":    func() error { _, err := d.WaitTask(ctx, id); return err },
		"StopTask":    func() error { return d.StopTask(id, time.Second, "") },
		"DestroyTask": func() error { return d.DestroyTask(id, true) },
		"InspectTask": func() error { _, err := d.InspectTask(id); return err },
		"TaskStats":   func() error { _, err := d.TaskStats(ctx, id, time.Second); return err },
		"SignalTask":  func() error { return d.SignalTask(id, "SIGHUP") },
		"RecoverTask": func() error {
			// A pid that cannot exist: pid_max is at most 2^22.
			return d.RecoverTask(&sdk.TaskHandle{
				Version: 1, Config: &sdk.TaskConfig{ID: id},
				DriverState: []byte(`{"pid": 99999999, "start_time": 1}`),
			})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := call(); !errors.Is(err, sdk.ErrTaskNotFound) {
				t.Errorf("%s(unknown) = %v, want ErrTaskNotFound", name, err)
			}
		})
	}
}

func TestSignalAndDestroy(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	cfg := taskConfig(t, drivertest.Shell(`trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.05; done`))
	drivertest.Start(t, d, cfg)
	fileContains(t, cfg.StdoutPath+".0", "ready\n")

	if err := d.SignalTask(cfg.ID, "SIGBOGUS"); err == nil || !strings.Contains(err.Error(), `unknown signal "SIGBOGUS"`) {
		t.Errorf("SignalTask(SIGBOGUS) = %v, want an unknown signal error", err)
	}
	if err := d.DestroyTask(cfg.ID, false); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("DestroyTask(running, no force) = %v, want a still-running error", err)
	}
	if err := d.SignalTask(cfg.ID, "usr1"); err != nil {
		t.Fatalf("SignalTask: %v", err)
	}
	if res := drivertest.WaitExit(t, d, cfg.ID, 5*time.Second); res.ExitCode != 7 {
		t.Errorf("exit = %+v, want code 7 from the USR1 trap", res)
	}
	fileContains(t, cfg.StdoutPath+".0", "got-usr1\n")
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask(exited) = %v", err)
	}
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, sdk.ErrTaskNotFound) {
		t.Errorf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}

	running := taskConfig(t, map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}})
	pid := drivertest.PidOf(t, drivertest.Start(t, d, running))
	if err := d.DestroyTask(running.ID, true); err != nil {
		t.Fatalf("DestroyTask(force) = %v", err)
	}
	if left := groupMembers(t, pid); len(left) > 0 {
		t.Errorf("forced destroy left processes %v", left)
	}
}

// TestRecoverAfterPluginDeath kills the plugin that started a task and has
// a fresh plugin re-adopt it from the handle the client would persist.
func TestRecoverAfterPluginDeath(t *testing.T) {
	t.Parallel()
	first := drivertest.Launch(t, "raw_exec")
	cfg := taskConfig(t, map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}})
	h, err := first.Driver.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pid := drivertest.PidOf(t, h)
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	first.Kill()
	if !first.Exited() {
		t.Fatal("first plugin still running after Kill")
	}
	if len(groupMembers(t, pid)) != 1 {
		t.Fatal("task died with its plugin; it must outlive it")
	}

	second := drivertest.Launch(t, "raw_exec").Driver
	if err := second.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if err := second.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask of a known task = %v, want nil", err)
	}
	st, err := second.InspectTask(cfg.ID)
	if err != nil || st.State != sdk.TaskStateRunning {
		t.Fatalf("InspectTask after recovery = %+v, %v; want running", st, err)
	}
	if err := second.StopTask(cfg.ID, 5*time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	res := drivertest.WaitExit(t, second, cfg.ID, 5*time.Second)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "exit status is unknown") {
		t.Errorf("exit = %+v, want an unknown-status error", res)
	}
	if err := second.RecoverTask(h); err != nil {
		t.Errorf("RecoverTask of a known exited task = %v, want nil", err)
	}
	if err := second.DestroyTask(cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := second.RecoverTask(h); !errors.Is(err, sdk.ErrTaskNotFound) {
		t.Errorf("RecoverTask of a dead task = %v, want ErrTaskNotFound", err)
	}
}

// TestInProcessMatchesPlugin runs one scenario against the driver in
// process and through the plugin: the client must not see a difference.
func TestInProcessMatchesPlugin(t *testing.T) {
	t.Parallel()
	inProc, err := catalog.NewInProcess("raw_exec", drivertest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	drivers := map[string]sdk.Driver{"in process": inProc, "plugin": drivertest.Launch(t, "raw_exec").Driver}
	for name, d := range drivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, drivertest.Shell("echo $NOMAD_TASK_NAME; exit 5"))
			cfg.Env["NOMAD_TASK_NAME"] = "web"
			drivertest.Start(t, d, cfg)
			if res := drivertest.WaitExit(t, d, cfg.ID, 5*time.Second); res.ExitCode != 5 || res.Err != nil {
				t.Errorf("exit = %+v, want code 5", res)
			}
			fileContains(t, cfg.StdoutPath+".0", "web\n")
			if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), "already started") {
				t.Errorf("second StartTask with the same ID = %v, want an already-started error", err)
			}
			if _, err := os.Stat(cfg.StderrPath + ".0"); err != nil {
				t.Errorf("stderr log file missing: %v", err)
			}
		})
	}
}

func TestTaskUser(t *testing.T) {
	t.Parallel()
	d := drivertest.Launch(t, "raw_exec").Driver
	cfg := taskConfig(t, drivertest.Shell("id -u; id -g"))
	cfg.User = "nobody"
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody on this host: %v", err)
	}
	if os.Geteuid() != 0 {
		_, err := d.StartTask(cfg)
		if err == nil || !strings.Contains(err.Error(), "needs the client agent to run as root") {
			t.Fatalf("StartTask as another user without root = %v, want a root-needed error", err)
		}
		return
	}
	// The task's cwd must be reachable by the task user; the client's alloc
	// dir setup grants that, a test temp dir does not.
	for _, dir := range []string{cfg.TaskDir, cfg.AllocDir, filepath.Dir(cfg.AllocDir)} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	drivertest.Start(t, d, cfg)
	if res := drivertest.WaitExit(t, d, cfg.ID, 5*time.Second); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	fileContains(t, cfg.StdoutPath+".0", u.Uid+"\n"+u.Gid+"\n")
}

// TestOutputSurvivesPluginDeath: a task that keeps printing is neither
// killed by SIGPIPE nor loses a line when its plugin dies and another one
// recovers it; what it printed while no plugin read reaches the log too.
func TestOutputSurvivesPluginDeath(t *testing.T) {
	t.Parallel()
	first := drivertest.Launch(t, "raw_exec")
	cfg := taskConfig(t, drivertest.Shell(`i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.01; done`))
	h, err := first.Driver.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pid := drivertest.PidOf(t, h)
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	logPath := cfg.StdoutPath + ".0"
	fileContains(t, logPath, "line 5\n")
	first.Kill()

	second := drivertest.Launch(t, "raw_exec").Driver
	if err := second.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask after the plugin died: %v (the task must survive its plugin)", err)
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	last := strings.Count(string(b), "\n")
	want := fmt.Sprintf("line %d\n", last+30)
	fileContains(t, logPath, want)
	b, err = os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line != fmt.Sprintf("line %d", i) {
			t.Fatalf("log line %d = %q, want %q: output was lost or garbled across the plugin restart", i, line, fmt.Sprintf("line %d", i))
		}
	}
	if err := second.StopTask(cfg.ID, time.Second, ""); err != nil {
		t.Fatal(err)
	}
	if err := second.DestroyTask(cfg.ID, true); err != nil {
		t.Fatal(err)
	}
	var ds struct {
		StdoutFIFO string `json:"stdout_fifo"`
	}
	if err := json.Unmarshal(h.DriverState, &ds); err != nil || ds.StdoutFIFO == "" {
		t.Fatalf("driver state %s has no stdout FIFO: %v", h.DriverState, err)
	}
	if _, err := os.Stat(ds.StdoutFIFO); !os.IsNotExist(err) {
		t.Errorf("FIFO %s left after destroy: %v", ds.StdoutFIFO, err)
	}
}
