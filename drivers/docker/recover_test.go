package docker_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

// TestRecoverAfterPluginKill is a plugin crash: the container keeps
// running, a new plugin adopts it from the handle the client persisted,
// its logs keep flowing into the same files without gaps and with few
// repeats, and the wait reports the container's real exit code.
func TestRecoverAfterPluginKill(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	first := launch(t, nil)
	const ticks = 40
	cfg := taskConfig(t, prog("ticks", fmt.Sprint(ticks), "100ms", "7"))
	h, err := first.Driver.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	fileContains(t, cfg.StdoutPath, "tick 5\n")
	if err := syscall.Kill(first.ReattachConfig.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill plugin: %v", err)
	}
	drivertest.Eventually(t, 5*time.Second, func() (bool, string) { return first.Exited(), "first plugin still running" })

	second := launch(t, nil).Driver
	if err := second.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	t.Cleanup(func() { _ = second.DestroyTask(cfg.ID, true) })
	if st, err := second.InspectTask(cfg.ID); err != nil || st.State != sdk.TaskStateRunning {
		t.Errorf("InspectTask after recovery = %+v, %v; want running", st, err)
	}
	if err := second.RecoverTask(h); err != nil {
		t.Errorf("RecoverTask of a task already recovered = %v, want nil", err)
	}
	res := drivertest.WaitExit(t, second, cfg.ID, 30*time.Second)
	if res.ExitCode != 7 {
		t.Errorf("exit = %+v, want the container's code 7", res)
	}
	if err := second.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	b, err := os.ReadFile(logFile(cfg.StdoutPath))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		counts[line]++
	}
	repeats := 0
	for i := 0; i < ticks; i++ {
		line := fmt.Sprintf("tick %d", i)
		switch n := counts[line]; {
		case n == 0:
			t.Errorf("%q missing from the log after recovery", line)
		case n > 1:
			repeats += n - 1
		}
	}
	// The position is saved every 250ms; at 10 lines a second a few may
	// be written twice, never the whole log.
	if repeats > 5 {
		t.Errorf("%d lines written twice after recovery, want at most 5:\n%s", repeats, b)
	}
}

func TestRecoverGoneContainer(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, prog("sleep", "1h"))
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	if err := d.DestroyTask(cfg.ID, true); err != nil {
		t.Fatal(err)
	}
	other := launch(t, nil).Driver
	if err := other.RecoverTask(h); !errors.Is(err, sdk.ErrTaskNotFound) {
		t.Errorf("RecoverTask of a removed container = %v, want ErrTaskNotFound", err)
	}
	bad := *h
	bad.DriverState = []byte(`{}`)
	if err := other.RecoverTask(&bad); err == nil || !strings.Contains(err.Error(), "no container ID") {
		t.Errorf("RecoverTask with a broken driver state = %v, want an error", err)
	}
}

func TestLogsDisabled(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	first := launch(t, nil).Driver
	cfg := taskConfig(t, prog("sleep", "1h"))
	cfg.LogDisabled = true
	h := start(t, first, cfg)
	// A second plugin adopts it too; there is no log position to resume.
	second := launch(t, nil).Driver
	if err := second.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if err := second.StopTask(cfg.ID, 10*time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if res := drivertest.WaitExit(t, second, cfg.ID, 10*time.Second); !res.Successful() {
		t.Errorf("exit = %+v, want 0 after SIGTERM", res)
	}
	if _, err := os.Stat(logFile(cfg.StdoutPath)); !os.IsNotExist(err) {
		t.Errorf("stdout log of a task with logs disabled: stat error %v, want not exist", err)
	}
}
