package docker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func requireEngine(t testing.TB) {
	t.Helper()
	if engineSkip != "" {
		t.Skip("skipping: needs the Docker engine: " + engineSkip)
	}
}

// launch starts a docker plugin subprocess with the given plugin config.
func launch(t testing.TB, pluginConfig map[string]interface{}) *catalog.Instance {
	t.Helper()
	inst := drivertest.Launch(t, "docker")
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

// taskConfig returns a task of the test image with its own allocation
// directory laid out as the client lays it out.
func taskConfig(t testing.TB, config map[string]interface{}) *sdk.TaskConfig {
	t.Helper()
	n := drivertest.NextSeq()
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

// start starts a task and destroys it when the test ends; a test that
// killed its plugin loses the connection DestroyTask needs, and that is
// no cleanup failure.
func start(t testing.TB, d sdk.Driver, cfg *sdk.TaskConfig) *sdk.TaskHandle {
	t.Helper()
	return drivertest.Start(t, d, cfg, func(err error) bool { return strings.Contains(err.Error(), "connection") })
}

// logFile is the first rotated file of a log base path.
func logFile(base string) string { return base + ".0" }

// fileContains polls until the task's log holds want.
func fileContains(t testing.TB, base, want string) {
	t.Helper()
	drivertest.FileContains(t, logFile(base), want, 10*time.Second)
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
