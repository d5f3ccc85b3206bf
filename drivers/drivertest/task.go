package drivertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/sdk"
)

// Launch starts the named driver's plugin subprocess and kills it when the
// test ends.
func Launch(t testing.TB, driver string) *catalog.Instance {
	t.Helper()
	inst, err := catalog.Launch(driver, Logger(t))
	if err != nil {
		t.Fatalf("launch %s plugin: %v", driver, err)
	}
	t.Cleanup(inst.Kill)
	return inst
}

var taskSeq struct {
	sync.Mutex
	n int
}

// NextSeq returns a number unique within the test binary, for task and
// allocation IDs that must not collide between parallel tests.
func NextSeq() int {
	taskSeq.Lock()
	defer taskSeq.Unlock()
	taskSeq.n++
	return taskSeq.n
}

// Shell is the config of a command or exec task that runs script in sh.
func Shell(script string) map[string]interface{} {
	return map[string]interface{}{"command": "/bin/sh", "args": []interface{}{"-c", script}}
}

// Start starts a task and destroys it when the test ends. A cleanup error
// fails the test unless the task is already gone or ignore accepts it.
func Start(t testing.TB, d sdk.Driver, cfg *sdk.TaskConfig, ignore ...func(error) bool) *sdk.TaskHandle {
	t.Helper()
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() {
		err := d.DestroyTask(cfg.ID, true)
		if err == nil || errors.Is(err, sdk.ErrTaskNotFound) {
			return
		}
		for _, ok := range ignore {
			if ok(err) {
				return
			}
		}
		t.Errorf("cleanup: DestroyTask: %v", err)
	})
	return h
}

// WaitExit waits for a task's result, failing the test after timeout.
func WaitExit(t testing.TB, d sdk.Driver, id string, timeout time.Duration) *sdk.ExitResult {
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

// Eventually polls cond until it holds or the deadline passes; cond's
// string says why it does not hold yet.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
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

// FileContains polls until path holds want: log copiers finish after the
// task exits.
func FileContains(t testing.TB, path, want string, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, func() (bool, string) {
		b, err := os.ReadFile(path)
		if err != nil {
			return false, err.Error()
		}
		return bytes.Contains(b, []byte(want)), fmt.Sprintf("%s = %q, want it to contain %q", path, b, want)
	})
}

// PidOf reads the task's pid from its handle's driver state, as the client
// would persist it.
func PidOf(t testing.TB, h *sdk.TaskHandle) int {
	t.Helper()
	var s struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal(h.DriverState, &s); err != nil || s.Pid <= 0 {
		t.Fatalf("driver state %q: pid %d, %v", h.DriverState, s.Pid, err)
	}
	return s.Pid
}
