package exec_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/allocdir"
	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

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
	return drivertest.Launch(t, "exec")
}

// taskConfig returns a task config in an allocation directory laid out by
// the client's own allocdir package.
func taskConfig(t testing.TB, config map[string]interface{}) *sdk.TaskConfig {
	t.Helper()
	n := drivertest.NextSeq()
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

// runTask runs a task to completion and returns its result and stdout.
func runTask(t testing.TB, d sdk.Driver, cfg *sdk.TaskConfig) (*sdk.ExitResult, string) {
	t.Helper()
	drivertest.Start(t, d, cfg)
	res := drivertest.WaitExit(t, d, cfg.ID, 10*time.Second)
	return res, stdout(t, cfg)
}

// stdout reads the task's output once it holds the END marker every test
// script ends with: the log copier may still be draining after the task
// exits.
func stdout(t testing.TB, cfg *sdk.TaskConfig) string {
	t.Helper()
	var out []byte
	drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
		out, _ = os.ReadFile(cfg.StdoutPath + ".0")
		return bytes.Contains(out, []byte("END\n")), fmt.Sprintf("stdout %q has no END marker", out)
	})
	return string(out)
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
