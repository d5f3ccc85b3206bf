package exec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

// TestRecoverAfterPluginKill kills the plugin under a running task, as a
// crash or an agent kill -9 would, and has a new plugin re-adopt it: the
// task keeps running and logging, and the new plugin reads its stats,
// stops it and removes its cgroup.
func TestRecoverAfterPluginKill(t *testing.T) {
	t.Parallel()
	first := launch(t)
	cfg := taskConfig(t, drivertest.Shell(`i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done`))
	h, err := first.Driver.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	pid := drivertest.PidOf(t, h)
	if st, err := taskproc.ReadStat(pid); err == nil {
		// Should the test fail before the new plugin destroys the task.
		t.Cleanup(func() {
			if taskproc.SameProcess(pid, st.StartTime) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		})
	}
	first.Kill()
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("task died with its plugin: %v", err)
	}

	d := launch(t).Driver
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if err := d.RecoverTask(h); err != nil {
		t.Errorf("RecoverTask of a task already recovered: %v, want nil", err)
	}
	st, err := d.InspectTask(cfg.ID)
	if err != nil || st.State != sdk.TaskStateRunning {
		t.Fatalf("InspectTask = %+v, %v; want running", st, err)
	}
	logSize := func() int {
		b, _ := os.ReadFile(cfg.StdoutPath + ".0")
		return bytes.Count(b, []byte("tick"))
	}
	before := logSize()
	drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
		return logSize() > before+5, "the recovered task's output does not reach its log"
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := d.TaskStats(ctx, cfg.ID, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if u := <-stats; u == nil || u.MemoryRSS == 0 || len(u.Pids) == 0 {
		t.Errorf("stats of the recovered task = %+v, want memory and pids from its cgroup", u)
	}
	cancel()

	if err := d.StopTask(cfg.ID, 100*time.Millisecond, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	res := drivertest.WaitExit(t, d, cfg.ID, 5*time.Second)
	if res.Err == nil {
		t.Errorf("exit = %+v; a recovered task's exit status cannot be known", res)
	}
	if err := syscall.Kill(pid, 0); err == nil && !isZombie(pid) {
		t.Errorf("task pid %d still runs after StopTask", pid)
	}
	dirs := cgroupDirs(t, h)
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s left after DestroyTask: %v", dir, err)
		}
	}
	if err := d.RecoverTask(h); !errors.Is(err, sdk.ErrTaskNotFound) {
		t.Errorf("RecoverTask of a finished task: %v, want ErrTaskNotFound", err)
	}
}

// cgroupDirs reads the task's cgroup directories from its handle.
func cgroupDirs(t *testing.T, h *sdk.TaskHandle) []string {
	t.Helper()
	var s struct {
		Cgroup struct {
			Dir string            `json:"dir"`
			V1  map[string]string `json:"v1"`
		} `json:"cgroup"`
	}
	if err := json.Unmarshal(h.DriverState, &s); err != nil {
		t.Fatal(err)
	}
	dirs := []string{}
	if s.Cgroup.Dir != "" {
		dirs = append(dirs, s.Cgroup.Dir)
	}
	for _, d := range s.Cgroup.V1 {
		dirs = append(dirs, d)
	}
	if len(dirs) == 0 {
		t.Fatalf("driver state %s names no cgroup", h.DriverState)
	}
	return dirs
}
