package rawexec_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

// taskConfig returns a task config with its own task and log directories.
func taskConfig(t testing.TB, config map[string]interface{}) *sdk.TaskConfig {
	t.Helper()
	n := drivertest.NextSeq()
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

// fileContains polls until path holds want; log copiers finish after exit.
func fileContains(t testing.TB, path, want string) {
	t.Helper()
	drivertest.FileContains(t, path, want, 5*time.Second)
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
