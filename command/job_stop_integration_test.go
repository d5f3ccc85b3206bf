package command

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// delayedServiceHCL is one raw_exec task with a service and a 30s task
// shutdown_delay: far longer than the waits below, so a stop that
// finishes within them cannot have waited out the delay.
func delayedServiceHCL(name string) string {
	return fmt.Sprintf(`
job %[1]q {
  group "g" {
    network {
      port "http" {}
    }
    task "sleep" {
      driver         = "raw_exec"
      shutdown_delay = "30s"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
      service {
        name = %[1]q
        port = "http"
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`, name)
}

// onlyAlloc returns the job's single allocation, read in full.
func onlyAlloc(t *testing.T, c *api.Client, jobID string) *api.Allocation {
	t.Helper()
	stubs, _, err := c.Jobs().Allocations(jobID, true, nil)
	if err != nil || len(stubs) != 1 {
		t.Fatalf("allocations of %s: %d (%v), want 1", jobID, len(stubs), err)
	}
	a, _, err := c.Allocations().Info(stubs[0].ID, nil)
	if err != nil {
		t.Fatalf("allocation %s: %v", stubs[0].ID, err)
	}
	return a
}

func taskEventTypes(a *api.Allocation, task string) []string {
	var out []string
	if ts := a.TaskStates[task]; ts != nil {
		for _, e := range ts.Events {
			out = append(out, e.Type)
		}
	}
	return out
}

// TestDevAgent_JobStopNoShutdownDelay stops two copies of a job with a
// 30s shutdown_delay on one dev agent. A plain stop deregisters the
// service and then holds the task running through the delay; `orch job
// stop -no-shutdown-delay` deregisters the service and kills the task at
// once, so its allocation is complete while the other one is still
// waiting out its delay.
func TestDevAgent_JobStopNoShutdownDelay(t *testing.T) {
	c := startDevAgent(t)
	const delayed, immediate = "delayed", "immediate"
	for _, name := range []string{delayed, immediate} {
		registerHCL(t, c, delayedServiceHCL(name))
	}
	for _, name := range []string{delayed, immediate} {
		pollUntil(t, 20*time.Second, name+" running with its service registered", func() (bool, string) {
			regs, _, err := c.Services().Get(name, nil)
			got := statusCounts(t, c, name)
			return err == nil && len(regs) == 1 && got["running"] == 1, fmt.Sprintf("%d instances (%v), allocs %v", len(regs), err, got)
		})
	}

	// The plain stop: the service leaves the catalog, the task keeps
	// running through its delay.
	if _, _, err := c.Jobs().Deregister(delayed, false, nil); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 10*time.Second, "the plain stop waiting out its shutdown_delay", func() (bool, string) {
		a := onlyAlloc(t, c, delayed)
		return slices.Contains(taskEventTypes(a, "sleep"), "Waiting for shutdown delay"),
			fmt.Sprintf("desired %s client %s events %v", a.DesiredStatus, a.ClientStatus, taskEventTypes(a, "sleep"))
	})
	regs, _, err := c.Services().Get(delayed, nil)
	if err != nil || len(regs) != 0 {
		t.Fatalf("during the delay the service has %d instances (%v), want it deregistered", len(regs), err)
	}

	// The stop without delay, through the CLI, which monitors until every
	// allocation stopped; the 10s bound is a third of the delay.
	ui := newUi()
	done := make(chan int, 1)
	go func() {
		done <- (&JobStopCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", c.Address(), "-no-shutdown-delay", immediate})
	}()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("job stop -no-shutdown-delay exited %d: %s", code, ui.ErrorWriter)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("job stop -no-shutdown-delay still monitoring after 10s: %s", ui.OutputWriter)
	}
	a := onlyAlloc(t, c, immediate)
	events := taskEventTypes(a, "sleep")
	if a.ClientStatus != api.AllocClientStatusComplete || !a.DesiredTransition.ShouldIgnoreShutdownDelay() ||
		!slices.Contains(events, "Skipping shutdown delay") || slices.Contains(events, "Waiting for shutdown delay") {
		t.Fatalf("stopped without delay: client %s, NoShutdownDelay %v, events %v; want complete, marked, delay skipped",
			a.ClientStatus, a.DesiredTransition.NoShutdownDelay, events)
	}
	if regs, _, err := c.Services().Get(immediate, nil); err != nil || len(regs) != 0 {
		t.Fatalf("service of the stopped job has %d instances (%v), want none", len(regs), err)
	}

	// The plain stop is still in its delay: the task runs on.
	a = onlyAlloc(t, c, delayed)
	if ts := a.TaskStates["sleep"]; a.ClientStatus != api.AllocClientStatusRunning || ts == nil || ts.State != api.TaskStateRunning {
		t.Fatalf("plain stop after the other finished: client %s, task %+v; want the task still running in its delay", a.ClientStatus, ts)
	}
}
