package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const reportJob = `job "report" {
  type        = "batch"
  datacenters = ["*"]
  parameterized {
    payload       = "required"
    meta_required = ["customer"]
  }
  group "report" {
    task "render" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat \"$NOMAD_TASK_DIR/input.txt\"; echo \"customer=$NOMAD_META_customer\""]
      }
      dispatch_payload { file = "input.txt" }
    }
  }
}
`

// TestDispatchPayloadFile registers a parameterized job, dispatches it
// with a payload file and meta through the CLI, and reads the payload and
// meta back from the task's logs, as a user would.
func TestDispatchPayloadFile(t *testing.T) {
	a := startAgent(t)
	run := a.run(t, "job", "run", writeFile(t, "report.hcl", reportJob))
	if run.Code != 0 || !strings.Contains(run.Stdout, "Job registration successful") || strings.Contains(run.Stdout, "Monitoring") {
		t.Fatalf("job run exited %d, want registration without an evaluation:\n%s%s", run.Code, run.Stdout, run.Stderr)
	}

	missing := a.run(t, "job", "dispatch", "report", writeFile(t, "p.txt", "x"))
	if missing.Code == 0 || !strings.Contains(missing.Stderr, `missing required meta keys "customer"`) {
		t.Fatalf("dispatch without meta exited %d: %s%s", missing.Code, missing.Stdout, missing.Stderr)
	}

	payload := writeFile(t, "payload.txt", "line one of the payload\n")
	res := a.run(t, "job", "dispatch", "-meta", "customer=acme", "report", payload)
	if res.Code != 0 {
		t.Fatalf("job dispatch exited %d\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	m := regexp.MustCompile(`Dispatched Job ID\s+=\s+(report/dispatch-\d+-[0-9a-f]{8})`).FindStringSubmatch(res.Stdout)
	if m == nil || !strings.Contains(res.Stdout, "Monitoring evaluation") {
		t.Fatalf("job dispatch output lacks the child ID or the monitor:\n%s", res.Stdout)
	}
	child := m[1]

	var allocID string
	waitFor(t, 20*time.Second, "the dispatched allocation to complete", func() (bool, string) {
		allocs := a.jobAllocs(t, url.PathEscape(child))
		if len(allocs) != 1 {
			return false, "no allocation yet"
		}
		allocID = allocs[0].ID
		return allocs[0].ClientStatus == "complete", allocs[0].ClientStatus
	})
	waitFor(t, 10*time.Second, "payload and meta in alloc logs", func() (bool, string) {
		logs := a.run(t, "alloc", "logs", allocID[:8])
		return logs.Code == 0 && strings.Contains(logs.Stdout, "line one of the payload\ncustomer=acme\n"), logs.Stdout + logs.Stderr
	})

	status := a.run(t, "job", "status", "report")
	for _, want := range []string{"Parameterized = true", "Dispatched Jobs", child} {
		if status.Code != 0 || !strings.Contains(status.Stdout, want) {
			t.Errorf("job status of the parent lacks %q (exit %d):\n%s%s", want, status.Code, status.Stdout, status.Stderr)
		}
	}
}
