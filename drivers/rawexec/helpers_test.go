package rawexec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

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

// launch starts a raw_exec plugin subprocess for this test.
func launch(t testing.TB) *catalog.Instance {
	t.Helper()
	inst, err := catalog.Launch("raw_exec", testLogger(t))
	if err != nil {
		t.Fatalf("launch raw_exec plugin: %v", err)
	}
	t.Cleanup(inst.Kill)
	return inst
}

var taskSeq struct {
	sync.Mutex
	n int
}

// taskConfig returns a task config with its own task and log directories.
func taskConfig(t testing.TB, config map[string]interface{}) *sdk.TaskConfig {
	t.Helper()
	taskSeq.Lock()
	taskSeq.n++
	n := taskSeq.n
	taskSeq.Unlock()
	dir := t.TempDir()
	for _, d := range []string{"task/local", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &sdk.TaskConfig{
		ID:               fmt.Sprintf("alloc-%d/web/%d", n, n),
		Name:             "web",
		AllocID:          fmt.Sprintf("alloc-%d", n),
		Config:           config,
		Env:              map[string]string{},
		AllocDir:         dir,
		TaskDir:          filepath.Join(dir, "task"),
		StdoutPath:       filepath.Join(dir, "logs", "web.stdout"),
		StderrPath:       filepath.Join(dir, "logs", "web.stderr"),
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

// fileContains polls until path holds want; log copiers finish after exit.
func fileContains(t testing.TB, path, want string) {
	t.Helper()
	eventually(t, 5*time.Second, func() (bool, string) {
		b, err := os.ReadFile(path)
		if err != nil {
			return false, err.Error()
		}
		return bytes.Contains(b, []byte(want)), fmt.Sprintf("%s = %q, want it to contain %q", path, b, want)
	})
}

// pidOf reads the task's pid from its handle, as the client would persist it.
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

// groupMembers lists live (non-zombie) processes of process group pgid.
func groupMembers(t testing.TB, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		if f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
