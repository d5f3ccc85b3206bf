package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestSystemJobs runs a system and a sysbatch job on a dev agent: the
// system job runs one allocation on the agent's node, the sysbatch job
// runs once there to completion and is not run again.
func TestSystemJobs(t *testing.T) {
	a := startAgent(t)
	task := `
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }`
	system := writeFile(t, "sys.hcl", `job "sys" {
  type = "system"
  group "g" {`+fmt.Sprintf(task, "sleep 1000")+`
  }
}
`)
	res := a.run(t, "job", "run", system)
	if res.Code != 0 {
		t.Fatalf("job run of a system job exited %d\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	waitFor(t, 20*time.Second, "one running system allocation", func() (bool, string) {
		allocs := a.jobAllocs(t, "sys")
		c := countStatus(allocs)
		return len(allocs) == 1 && c["running"] == 1, fmt.Sprint(c)
	})

	sysbatch := writeFile(t, "once.hcl", `job "once" {
  type = "sysbatch"
  group "g" {`+fmt.Sprintf(task, "echo done")+`
  }
}
`)
	if res := a.run(t, "job", "run", "-detach", sysbatch); res.Code != 0 {
		t.Fatalf("job run of a sysbatch job exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	waitFor(t, 20*time.Second, "sysbatch allocation complete", func() (bool, string) {
		allocs := a.jobAllocs(t, "once")
		c := countStatus(allocs)
		return len(allocs) == 1 && c["complete"] == 1, fmt.Sprint(c)
	})
	// Another evaluation of the job must not run it again on the node.
	if res := a.run(t, "job", "run", "-detach", sysbatch); res.Code != 0 {
		t.Fatalf("second job run exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	waitFor(t, 10*time.Second, "re-evaluation complete", func() (bool, string) {
		var evals []struct{ Status string }
		a.getJSON(t, "/v1/job/once/evaluations", &evals)
		done := 0
		for _, e := range evals {
			if e.Status == "complete" {
				done++
			}
		}
		return done == len(evals) && done >= 2, fmt.Sprint(evals)
	})
	if allocs := a.jobAllocs(t, "once"); len(allocs) != 1 {
		t.Fatalf("sysbatch job has %d allocations after re-evaluation, want 1", len(allocs))
	}
}
