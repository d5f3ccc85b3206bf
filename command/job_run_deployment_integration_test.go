package command

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// deployedJob is a count-3 rolling service whose task runs args (an exit
// right away fails its allocations' health). Its progress_deadline is
// short so that a broken version, whose unhealthy allocations are
// replaced rather than failing the deployment at once, fails soon.
func deployedJob(id, command, args string) string {
	return fmt.Sprintf(`
job %q {
  update {
    max_parallel      = 1
    min_healthy_time  = "1s"
    healthy_deadline  = "8s"
    progress_deadline = "10s"
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

// allocsOfVersion counts the job's allocations of a job version, in any
// state.
func allocsOfVersion(t *testing.T, c *api.Client, jobID string, version uint64) int {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(jobID, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range allocs {
		if a.JobVersion == version {
			n++
		}
	}
	return n
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
// a v2 whose task exits at once fails its deployment and is reverted; the
// revert's version deploys and turns stable, and `job history` shows all
// of it.
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

	// The progress-deadline path: v2's failed allocations are unhealthy,
	// the watcher marks them and the scheduler replaces them within the
	// deployment (5s reschedule delay), until the 10s progress deadline
	// passes without a healthy one and the deployment fails and reverts.
	code, out, errOut = cliRun(t, c, "run", writeJob(t, deployedJob("roll", "/bin/false", "")))
	if code != exitError || !strings.Contains(errOut, "Failed due to progress deadline - rolling back to job version 1") {
		t.Fatalf("v2 run: exit %d, want 1 and a rollback at the progress deadline\n%s\n%s", code, out, errOut)
	}
	if n := allocsOfVersion(t, c, "roll", 2); n < 2 {
		t.Fatalf("%d allocations of v2, want the first and at least one replacement", n)
	}
	pollUntil(t, 30*time.Second, "job back on v1's spec and running", func() (bool, string) {
		job, _, err := c.Jobs().Info("roll", nil)
		if err != nil {
			return false, err.Error()
		}
		got := runningByVersion(t, c, "roll")
		return *job.Version == 3 && got[3] == 3, fmt.Sprintf("version %d, running %v", *job.Version, got)
	})
	pollUntil(t, 30*time.Second, "the revert's version stable", func() (bool, string) {
		return versionStable(t, c, "roll", 3), "version 3 is not stable"
	})
	assertHistoryAfterRevert(t, c)
}

// assertHistoryAfterRevert checks `job history` after the auto-revert
// above, as Nomad shows it: newest first, each version with its stable
// flag and submit date: the failed version 2 not stable, the versions
// that deployed (0, 1 and the revert's 3) stable; -p shows version 2
// changing the command and 3 changing it back.
func assertHistoryAfterRevert(t *testing.T, c *api.Client) {
	t.Helper()
	code, out, errOut := cliCmd(t, c, historyCommand, "roll")
	if code != exitOK {
		t.Fatalf("job history: exit %d\n%s", code, errOut)
	}
	blocks := historyBlocks(out)
	want := []string{"3 true", "2 false", "1 true", "0 true"}
	var got []string
	for _, b := range blocks {
		got = append(got, b["Version"]+" "+b["Stable"])
		if !submitDate.MatchString(b["Submit Date"]) {
			t.Fatalf("version %s: Submit Date %q is not a date:\n%s", b["Version"], b["Submit Date"], out)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history lists (version stable) %v, want %v:\n%s", got, want, out)
	}
	// As Nomad's watcher, the auto-revert registers the stable version as
	// stored, its submit time included; only a registration through the
	// job endpoint (run, revert) stamps a new one.
	versions, _, _, err := c.Jobs().Versions("roll", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 4 || deref(versions[0].SubmitTime) != deref(versions[2].SubmitTime) ||
		blocks[0]["Submit Date"] != blocks[2]["Submit Date"] {
		t.Fatalf("the revert's version 3 was submitted at %s, want version 1's %s", blocks[0]["Submit Date"], blocks[2]["Submit Date"])
	}

	code, out, errOut = cliCmd(t, c, historyCommand, "-p", "roll")
	if code != exitOK {
		t.Fatalf("job history -p: exit %d\n%s", code, errOut)
	}
	diffs := map[string]string{}
	for _, block := range strings.Split(squash(out), "\n\n") {
		if m := regexp.MustCompile(`Version = (\d+)`).FindStringSubmatch(block); m != nil {
			diffs[m[1]] = block
		}
	}
	for version, change := range map[string]string{
		"2": `+/- command: "/bin/sleep" => "/bin/false"`,
		"3": `+/- command: "/bin/false" => "/bin/sleep"`,
	} {
		if !strings.Contains(diffs[version], change) || !strings.Contains(diffs[version], `+/- Task: "t"`) {
			t.Fatalf("history -p: version %s does not show %s:\n%s", version, change, out)
		}
	}
}

var submitDate = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)

// historyBlocks reads `job history` output: one key/value map per
// version, newest first.
func historyBlocks(out string) []map[string]string {
	var blocks []map[string]string
	for _, block := range strings.Split(strings.TrimSpace(out), "\n\n") {
		kv := map[string]string{}
		for _, line := range strings.Split(block, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		blocks = append(blocks, kv)
	}
	return blocks
}
