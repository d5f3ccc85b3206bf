package docker_test

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

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/sdk"
)

// testWriter sends log lines to t until the test ends; plugin goroutines
// may log after that, which t.Log would panic on. A race report of a
// plugin child arrives here too and fails the test.
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

func requireEngine(t testing.TB) {
	t.Helper()
	if engineSkip != "" {
		t.Skip("skipping: needs the Docker engine: " + engineSkip)
	}
}

// launch starts a docker plugin subprocess with the given plugin config.
func launch(t testing.TB, pluginConfig map[string]interface{}) *catalog.Instance {
	t.Helper()
	inst, err := catalog.Launch("docker", testLogger(t))
	if err != nil {
		t.Fatalf("launch docker plugin: %v", err)
	}
	t.Cleanup(inst.Kill)
	if err := inst.Driver.SetConfig(&sdk.PluginConfig{Config: pluginConfig}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	return inst
}

// engine is the test's own client, for checking what the plugin did.
func engine(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

var taskSeq struct {
	sync.Mutex
	n int
}

// taskConfig returns a task of the test image with its own allocation
// directory laid out as the client lays it out.
func taskConfig(t testing.TB, config map[string]interface{}) *sdk.TaskConfig {
	t.Helper()
	taskSeq.Lock()
	taskSeq.n++
	n := taskSeq.n
	taskSeq.Unlock()
	dir := t.TempDir()
	for _, d := range []string{"alloc/logs", "web/local", "web/secrets"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	allocID := fmt.Sprintf("test%d-%d", os.Getpid(), n)
	if config["image"] == nil {
		config["image"] = testImage
	}
	cfg := &sdk.TaskConfig{
		ID:               allocID + "/web/1",
		Name:             "web",
		JobName:          "dockertest",
		AllocID:          allocID,
		Config:           config,
		Env:              map[string]string{},
		Resources:        &sdk.Resources{CPUShares: 100, MemoryMB: 64},
		AllocDir:         dir,
		TaskDir:          filepath.Join(dir, "web"),
		StdoutPath:       filepath.Join(dir, "alloc/logs/web.stdout"),
		StderrPath:       filepath.Join(dir, "alloc/logs/web.stderr"),
		LogMaxFiles:      2,
		LogMaxFileSizeMB: 1,
	}
	// Whatever a test leaves behind, even after killing its plugin, goes.
	t.Cleanup(func() { removeAllocContainers(t, allocID) })
	return cfg
}

func removeAllocContainers(t testing.TB, allocID string) {
	if engineSkip != "" {
		return
	}
	cli := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "orch.alloc_id="+allocID))})
	if err != nil {
		t.Errorf("cleanup: list containers: %v", err)
		return
	}
	for _, c := range list {
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Errorf("cleanup: remove container %s: %v", c.ID, err)
		}
	}
}

func prog(args ...string) map[string]interface{} {
	list := make([]interface{}, len(args))
	for i, a := range args {
		list[i] = a
	}
	return map[string]interface{}{"command": "/testprog", "args": list}
}

// start starts a task and destroys it when the test ends.
func start(t testing.TB, d sdk.Driver, cfg *sdk.TaskConfig) *sdk.TaskHandle {
	t.Helper()
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() {
		if err := d.DestroyTask(cfg.ID, true); err != nil && !errors.Is(err, sdk.ErrTaskNotFound) && !strings.Contains(err.Error(), "connection") {
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

// logFile is the first rotated file of a log base path.
func logFile(base string) string { return base + ".0" }

// fileContains polls until the task's log holds want.
func fileContains(t testing.TB, base, want string) {
	t.Helper()
	path := logFile(base)
	eventually(t, 10*time.Second, func() (bool, string) {
		b, err := os.ReadFile(path)
		if err != nil {
			return false, err.Error()
		}
		return bytes.Contains(b, []byte(want)), fmt.Sprintf("%s = %q, want it to contain %q", path, b, want)
	})
}

// containerID reads the container's ID from the handle's driver state.
func containerID(t testing.TB, h *sdk.TaskHandle) string {
	t.Helper()
	var s struct {
		ContainerID string `json:"container_id"`
	}
	if err := json.Unmarshal(h.DriverState, &s); err != nil || s.ContainerID == "" {
		t.Fatalf("driver state %q: container ID %q, %v", h.DriverState, s.ContainerID, err)
	}
	return s.ContainerID
}

func itoa(n int) string { return strconv.Itoa(n) }

func countAllocContainers(t testing.TB, allocID string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := engine(t).ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "orch.alloc_id="+allocID))})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	return len(list)
}
