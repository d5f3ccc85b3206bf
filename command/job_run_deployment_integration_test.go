package command

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// deployedJob is a count-3 rolling service whose task runs args (an exit
// right away fails its allocations' health).
func deployedJob(id, command, args string) string {
	return fmt.Sprintf(`
job %q {
  update {
    max_parallel      = 1
    min_healthy_time  = "1s"
    healthy_deadline  = "10s"
    progress_deadline = "20s"
    auto_revert       = true
  }
  group "g" {
    count = 3
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      delay          = "5s"
      delay_function = "constant"
      unlimited      = true
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = %q
        args    = [%s]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`, id, command, args)
}

// runningByVersion counts the job's running allocations per job version.
func runningByVersion(t *testing.T, c *api.Client, jobID string) map[uint64]int {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(jobID, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[uint64]int)
	for _, a := range allocs {
		if a.ClientStatus == "running" && a.DesiredStatus == "run" {
			out[a.JobVersion]++
		}
	}
	return out
}

// TestDevAgent_JobRunDeployment: "job run" follows a rolling update to
// success, never running fewer than count - max_parallel allocations, and
// a v2 whose task exits at once fails its deployment and is reverted.
func TestDevAgent_JobRunDeployment(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real tasks")
	}
	c := startDevAgent(t)
	code, out, errOut := cliRun(t, c, "run", writeJob(t, deployedJob("roll", "/bin/sleep", `"300"`)))
	if code != exitOK || !strings.Contains(out, "successful") {
		t.Fatalf("v0 run: exit %d\n%s\n%s", code, out, errOut)
	}

	done := make(chan struct{})
	var minRunning = 3
	go func() {
		defer close(done)
		code, out, errOut = cliRun(t, c, "run", writeJob(t, deployedJob("roll", "/bin/sleep", `"301"`)))
	}()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-time.After(50 * time.Millisecond):
			// Sampling interval of the availability check, not a wait
			// for state.
		}
		total := 0
		for _, n := range runningByVersion(t, c, "roll") {
			total += n
		}
		minRunning = min(minRunning, total)
	}
	if code != exitOK || !strings.Contains(out, "Deployment \"") || !strings.Contains(out, "Task Group") {
		t.Fatalf("v1 run: exit %d\n%s\n%s", code, out, errOut)
	}
	if minRunning < 2 {
		t.Fatalf("only %d allocations running during a max_parallel 1 update of count 3", minRunning)
	}
	if got := runningByVersion(t, c, "roll"); got[1] != 3 || len(got) != 1 {
		t.Fatalf("running by version %v, want all 3 on version 1", got)
	}

	code, out, errOut = cliRun(t, c, "run", writeJob(t, deployedJob("roll", "/bin/false", "")))
	if code != exitError || !strings.Contains(errOut, "rolling back to job version 1") {
		t.Fatalf("v2 run: exit %d, want 1 and a rollback\n%s\n%s", code, out, errOut)
	}
	pollUntil(t, 30*time.Second, "job back on v1's spec and running", func() (bool, string) {
		job, _, err := c.Jobs().Info("roll", nil)
		if err != nil {
			return false, err.Error()
		}
		got := runningByVersion(t, c, "roll")
		return *job.Version == 3 && got[3] == 3, fmt.Sprintf("version %d, running %v", *job.Version, got)
	})
}
