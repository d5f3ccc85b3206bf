package exec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/allocdir"
	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/sdk"
)

// testWriter sends log lines to t until the test ends; plugin and driver
// goroutines may still log after that, which t.Log would panic on. A race
// report of a plugin child arrives here too and fails the test.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
		if bytes.Contains(p, []byte("WARNING: DATA RACE")) {
			w.t.Error("the plugin process reported a data race")
		}
	}
	return len(p), nil
}

func testLogger(t testing.TB) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return hclog.New(&hclog.LoggerOptions{Name: "test", Level: hclog.Debug, Output: w})
}

// requireRoot skips tests that need what only root may do: namespaces,
// mounts, cgroups and switching users.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root (namespaces, mounts, cgroups); run the tests as root")
	}
}

// launch starts an exec plugin subprocess for this test.
func launch(t testing.TB) *catalog.Instance {
	t.Helper()
	requireRoot(t)
	inst, err := catalog.Launch("exec", testLogger(t))
	if err != nil {
		t.Fatalf("launch exec plugin: %v", err)
	}
	t.Cleanup(inst.Kill)
	return inst
}

var taskSeq struct {
	sync.Mutex
	n int
}

// taskConfig returns a task config in an allocation directory laid out by
// the client's own allocdir package.
func taskConfig(t testing.TB, config map[string]interface{}) *sdk.TaskConfig {
	t.Helper()
	taskSeq.Lock()
	taskSeq.n++
	n := taskSeq.n
	taskSeq.Unlock()
	allocID := fmt.Sprintf("alloc-%d", n)
	ad := allocdir.New(t.TempDir(), allocID)
	if err := ad.Build([]string{"web"}); err != nil {
		t.Fatal(err)
	}
	td := ad.TaskDir("web")
	return &sdk.TaskConfig{
		ID:      fmt.Sprintf("%s/web/%d", allocID, n),
		Name:    "web",
		AllocID: allocID,
		Config:  config,
		Env: map[string]string{
			"NOMAD_ALLOC_DIR": ad.SharedDir, "NOMAD_TASK_DIR": td.LocalDir, "NOMAD_SECRETS_DIR": td.SecretsDir,
		},
		Resources:        &sdk.Resources{CPUShares: 100, MemoryMB: 64},
		AllocDir:         ad.Dir,
		TaskDir:          td.Dir,
		StdoutPath:       ad.LogPath("web", "stdout"),
		StderrPath:       ad.LogPath("web", "stderr"),
		LogMaxFiles:      2,
		LogMaxFileSizeMB: 1,
	}
}

func shell(script string) map[string]interface{} {
	return map[string]interface{}{"command": "/bin/sh", "args": []interface{}{"-c", script}}
}

// start starts a task and makes sure it is gone when the test ends.
func start(t testing.TB, d sdk.Driver, cfg *sdk.TaskConfig) *sdk.TaskHandle {
	t.Helper()
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() {
		if err := d.DestroyTask(cfg.ID, true); err != nil && !errors.Is(err, sdk.ErrTaskNotFound) {
			t.Errorf("cleanup: DestroyTask: %v", err)
		}
	})
	return h
}

// waitExit waits for a task's result, failing the test after timeout.
func waitExit(t testing.TB, d sdk.Driver, id string, timeout time.Duration) *sdk.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	res, ok := <-ch
	if !ok {
		t.Fatalf("task %s did not exit within %s", id, timeout)
	}
	return res
}

// runTask runs a task to completion and returns its result and stdout.
func runTask(t testing.TB, d sdk.Driver, cfg *sdk.TaskConfig) (*sdk.ExitResult, string) {
	t.Helper()
	start(t, d, cfg)
	res := waitExit(t, d, cfg.ID, 10*time.Second)
	return res, stdout(t, cfg)
}

// stdout reads the task's output once it holds the END marker every test
// script ends with: the log copier may still be draining after the task
// exits.
func stdout(t testing.TB, cfg *sdk.TaskConfig) string {
	t.Helper()
	var out []byte
	eventually(t, 5*time.Second, func() (bool, string) {
		out, _ = os.ReadFile(cfg.StdoutPath + ".0")
		return bytes.Contains(out, []byte("END\n")), fmt.Sprintf("stdout %q has no END marker", out)
	})
	return string(out)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", timeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pidOf reads the task's host pid from its handle, as the client would
// persist it.
func pidOf(t testing.TB, h *sdk.TaskHandle) int {
	t.Helper()
	var s struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal(h.DriverState, &s); err != nil || s.Pid <= 0 {
		t.Fatalf("driver state %q: pid %d, %v", h.DriverState, s.Pid, err)
	}
	return s.Pid
}

// cgroupFile reads a file of the task's cgroup in controller's v1
// hierarchy, found the way an operator would: from /proc/<pid>/cgroup.
func cgroupFile(t testing.TB, pid int, controller, file string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				v, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, parts[2], file))
				if err != nil {
					t.Fatalf("task cgroup file: %v", err)
				}
				return strings.TrimSpace(string(v))
			}
		}
	}
	t.Skipf("no cgroup v1 %s hierarchy on this host; this test reads v1 files", controller)
	return ""
}
