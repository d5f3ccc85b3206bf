package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func sleepTask(t *testing.T, id string) *sdk.TaskConfig {
	dir := t.TempDir()
	return &sdk.TaskConfig{
		ID: id, Name: "web", TaskDir: dir,
		Config:     map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}},
		StdoutPath: filepath.Join(dir, "web.stdout"), StderrPath: filepath.Join(dir, "web.stderr"),
	}
}

func handlePid(t *testing.T, h *sdk.TaskHandle) int {
	t.Helper()
	var ds struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal(h.DriverState, &ds); err != nil || ds.Pid <= 0 {
		t.Fatalf("driver state %s: %v", h.DriverState, err)
	}
	return ds.Pid
}

func alive(pid int) bool {
	_, err := procStat(pid)
	return err == nil
}

// TestSupervisedPluginCrash kills a raw_exec plugin process: the
// supervisor relaunches it, recovers the task that still runs (same pid,
// its wait carries on) and reports the one that died meanwhile as lost.
func TestSupervisedPluginCrash(t *testing.T) {
	t.Parallel()
	logger := drivertest.Logger(t)
	inst, err := catalog.Launch("raw_exec", logger)
	if err != nil {
		t.Fatal(err)
	}
	allowRelaunch := make(chan struct{})
	relaunched := make(chan *catalog.Instance, 1)
	sup := catalog.Supervise(catalog.SuperviseConfig{
		Name: "raw_exec", Instance: inst, Logger: logger, PollInterval: 10 * time.Millisecond,
		Relaunch: func() (*catalog.Instance, error) {
			<-allowRelaunch
			return catalog.Launch("raw_exec", logger)
		},
		OnRelaunch: func(i *catalog.Instance) { relaunched <- i },
	})
	t.Cleanup(sup.Kill)
	if err := sup.SetConfig(&sdk.PluginConfig{Config: map[string]interface{}{"enabled": true}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fps, err := sup.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fp := recv(t, fps); fp.Health != sdk.HealthStateHealthy {
		t.Fatalf("first fingerprint %+v, want healthy", fp)
	}

	survivor, victim := sleepTask(t, "a/web/1"), sleepTask(t, "b/web/1")
	var pids []int
	var waits []<-chan *sdk.ExitResult
	for _, cfg := range []*sdk.TaskConfig{survivor, victim} {
		h, err := sup.StartTask(cfg)
		if err != nil {
			t.Fatal(err)
		}
		pid := handlePid(t, h)
		t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
		pids = append(pids, pid)
		w, err := sup.WaitTask(ctx, cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}

	if err := syscall.Kill(inst.ReattachConfig.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if fp := recv(t, fps); fp.Health != sdk.HealthStateUnhealthy {
		t.Errorf("fingerprint after the plugin died = %+v, want unhealthy", fp)
	}
	// The victim dies while no plugin is there to reap it.
	if err := syscall.Kill(-pids[1], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return !alive(pids[1]) })
	close(allowRelaunch)
	next := recv(t, relaunched)
	if next.ReattachConfig.Pid == inst.ReattachConfig.Pid {
		t.Fatal("relaunched plugin has the dead one's pid")
	}
	if fp := recv(t, fps); fp.Health != sdk.HealthStateHealthy {
		t.Errorf("fingerprint after relaunch = %+v, want healthy", fp)
	}

	select {
	case res := <-waits[1]:
		if res == nil || !errors.Is(res.Err, catalog.ErrTaskLost) {
			t.Errorf("victim's wait = %+v, want ErrTaskLost", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("victim's wait did not end after the relaunch")
	}
	st, err := sup.InspectTask(survivor.ID)
	if err != nil || st.State != sdk.TaskStateRunning || !alive(pids[0]) {
		t.Fatalf("survivor after relaunch: %+v, %v, pid %d alive %v; want it running, not restarted", st, err, pids[0], alive(pids[0]))
	}
	select {
	case res := <-waits[0]:
		t.Fatalf("survivor's wait ended with %+v while it still runs", res)
	default:
	}
	if err := sup.StopTask(survivor.ID, time.Second, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-waits[0]:
		if res == nil || alive(pids[0]) {
			t.Errorf("survivor's wait = %+v with pid alive %v, want its end", res, alive(pids[0]))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("survivor's wait did not end after StopTask")
	}
	if err := sup.DestroyTask(victim.ID, true); err != nil && !errors.Is(err, sdk.ErrTaskNotFound) {
		t.Errorf("DestroyTask(victim) = %v", err)
	}
}

// recv takes the next value of ch, failing the test after ten seconds.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no value on %T within 10s", ch)
	}
	panic("unreachable")
}

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// procStat reads the state letter of pid; a zombie counts as gone.
func procStat(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) == 0 || f[0] == "Z" {
		return "", errors.New("exited")
	}
	return f[0], nil
}
