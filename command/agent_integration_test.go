package command

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/command/agent"
	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/jobspec"
)

// TestMain lets the test binary act as the raw_exec plugin when the
// in-process agent below launches its driver plugins.
func TestMain(m *testing.M) {
	catalog.MaybeServePlugin()
	if os.Getenv(helperHTTPEnv) != "" {
		serveHelperHTTP()
	}
	// Plugin children under -race would otherwise linger at exit.
	_ = os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}

// startDevAgent runs a real dev agent in this process: Raft, scheduler,
// client and the raw_exec plugin, on free ports.
func startDevAgent(t *testing.T) *api.Client {
	t.Helper()
	return startDevAgentAt(t, t.TempDir())
}

// startDevAgentAt is startDevAgent with the data directory given, for
// tests that need it reachable by other users.
func startDevAgentAt(t *testing.T, dataDir string) *api.Client {
	t.Helper()
	return startDevAgentWith(t, dataDir)
}

// startDevAgentWith is startDevAgentAt with more agent flags.
func startDevAgentWith(t *testing.T, dataDir string, flags ...string) *api.Client {
	t.Helper()
	args := append([]string{"-dev", "-http-port", "0", "-rpc-port", "0", "-serf-port", "0",
		"-data-dir", dataDir}, flags...)
	cfg, err := agent.LoadConfig(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "agent", Level: hclog.Info, Output: testLogWriter{t}})
	a, err := agent.NewAgent(cfg, logger, productionBackends())
	if err != nil {
		t.Fatalf("starting the dev agent: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Shutdown(); err != nil {
			t.Errorf("agent shutdown: %v", err)
		}
	})
	c, err := api.NewClient(&api.Config{Address: "http://" + a.HTTPAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 10*time.Second, "agent healthy", func() (bool, string) {
		_, err := c.Agent().Health()
		return err == nil, fmt.Sprint(err)
	})
	return c
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func registerHCL(t *testing.T, c *api.Client, src string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "job.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	job, err := jobspec.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
}

func statusCounts(t *testing.T, c *api.Client, jobID string) map[string]int {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(jobID, true, nil)
	if err != nil {
		t.Fatalf("allocations of %s: %v", jobID, err)
	}
	out := map[string]int{}
	for _, a := range allocs {
		out[a.ClientStatus]++
	}
	return out
}

// TestDevAgent_RawExecJobRunsAndStops: count 3 to running, then stopped.
func TestDevAgent_RawExecJobRunsAndStops(t *testing.T) {
	c := startDevAgent(t)
	registerHCL(t, c, `
job "sleepy" {
  group "g" {
    count = 3
    task "sleep" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`)
	pollUntil(t, 20*time.Second, "3 running allocations", func() (bool, string) {
		got := statusCounts(t, c, "sleepy")
		return got["running"] == 3, fmt.Sprint(got)
	})
	if _, _, err := c.Jobs().Deregister("sleepy", false, nil); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 20*time.Second, "allocations stopped", func() (bool, string) {
		got := statusCounts(t, c, "sleepy")
		return got["running"] == 0 && got["pending"] == 0 && got["complete"] == 3, fmt.Sprint(got)
	})
	job, _, err := c.Jobs().Info("sleepy", nil)
	if err != nil || !*job.Stop || *job.Status != "dead" {
		t.Fatalf("stopped job: %+v, %v; want Stop and status dead", job, err)
	}
}

// TestDevAgent_FailingTaskRestartsThenFails: a task exiting non-zero is
// restarted per its restart policy, then the allocation fails.
func TestDevAgent_FailingTaskRestartsThenFails(t *testing.T) {
	c := startDevAgent(t)
	registerHCL(t, c, `
job "crasher" {
  type = "batch"
  group "g" {
    restart {
      attempts = 1
      interval = "5m"
      delay    = "50ms"
      mode     = "fail"
    }
    task "crash" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exit 7"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`)
	var failed *api.AllocationListStub
	pollUntil(t, 20*time.Second, "a failed allocation", func() (bool, string) {
		allocs, _, err := c.Jobs().Allocations("crasher", true, nil)
		if err != nil {
			return false, err.Error()
		}
		for _, a := range allocs {
			if a.ClientStatus == api.AllocClientStatusFailed {
				failed = a
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d allocations, none failed", len(allocs))
	})
	ts := failed.TaskStates["crash"]
	if ts == nil || !ts.Failed || ts.Restarts != 1 {
		t.Fatalf("task state %+v: want failed after exactly 1 restart", ts)
	}
	var exits []int
	for _, e := range ts.Events {
		if e.Type == "Terminated" {
			exits = append(exits, e.ExitCode)
		}
	}
	if fmt.Sprint(exits) != "[7 7]" {
		t.Fatalf("terminated exit codes %v, want [7 7] (first run and one restart)", exits)
	}
	if last := ts.Events[len(ts.Events)-1]; last.Type != "Not Restarting" {
		t.Fatalf("last event %q, want Not Restarting", last.Type)
	}
}
