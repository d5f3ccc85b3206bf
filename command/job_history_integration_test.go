package command

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

const historyJob = `
job "hist" {
  group "g" {
    count = 1
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["%s"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`

// TestJobHistoryAndRevert_DevAgent runs v0 and v1 of a job on a real dev
// agent, lists them with `job history`, reverts to v0 with `job revert`
// and checks that the running allocation is v0's command again as v2.
func TestJobHistoryAndRevert_DevAgent(t *testing.T) {
	c := startDevAgent(t)
	addr := c.Address()
	for _, arg := range []string{"301", "302"} {
		registerHCL(t, c, fmt.Sprintf(historyJob, arg))
	}
	pollUntil(t, 20*time.Second, "v1 running", func() (bool, string) {
		return runningVersion(t, c, "hist") == 1, fmt.Sprint(statusCounts(t, c, "hist"))
	})

	ui := newUi()
	if code := (&JobHistoryCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, "hist"}); code != 0 {
		t.Fatalf("history: exit %d: %s", code, ui.ErrorWriter.String())
	}
	out := squash(ui.OutputWriter.String())
	if !strings.Contains(out, "Version = 1") || !strings.Contains(out, "Version = 0") ||
		strings.Index(out, "Version = 1") > strings.Index(out, "Version = 0") {
		t.Fatalf("history does not list v1 then v0:\n%s", out)
	}

	ui = newUi()
	if code := (&JobHistoryCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, "-p", "hist"}); code != 0 {
		t.Fatalf("history -p: exit %d: %s", code, ui.ErrorWriter.String())
	}
	out = ui.OutputWriter.String()
	if !strings.Contains(out, "Diff") || !strings.Contains(out, `+/- Job: "hist"`) || !strings.Contains(out, "302") {
		t.Fatalf("history -p does not show v1's change of args:\n%s", out)
	}
	t.Log(out)

	ui = newUi()
	if code := (&JobRevertCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, "hist", "7"}); code != 1 {
		t.Fatalf("revert to a missing version: exit %d, want 1", code)
	}
	if msg := ui.ErrorWriter.String(); !strings.Contains(msg, "no version 7") {
		t.Fatalf("revert error %q does not name the missing version", msg)
	}

	ui = newUi()
	if code := (&JobRevertCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, "hist", "0"}); code != 0 {
		t.Fatalf("revert: exit %d: %s", code, ui.ErrorWriter.String())
	}
	pollUntil(t, 20*time.Second, "v2 running", func() (bool, string) {
		return runningVersion(t, c, "hist") == 2, fmt.Sprint(statusCounts(t, c, "hist"))
	})
	job, _, err := c.Jobs().Info("hist", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := job.TaskGroups[0].Tasks[0].Config["args"]; fmt.Sprint(got) != "[301]" {
		t.Fatalf("reverted job runs args %v, want v0's [301]", got)
	}

	ui = newUi()
	if code := (&JobHistoryCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, "-version", "2", "-full", "hist"}); code != 0 {
		t.Fatalf("history -version: exit %d: %s", code, ui.ErrorWriter.String())
	}
	if out := ui.OutputWriter.String(); !strings.Contains(out, "Version     = 2") || strings.Contains(out, "Version     = 1") ||
		!strings.Contains(out, `"301"`) {
		t.Fatalf("history -version 2 -full:\n%s", out)
	}
}

// runningVersion is the job version of the job's one running allocation,
// or -1.
func runningVersion(t *testing.T, c *api.Client, jobID string) int {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(jobID, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, n := -1, 0
	for _, a := range allocs {
		if a.ClientStatus == api.AllocClientStatusRunning && a.DesiredStatus == "run" {
			v, n = int(a.JobVersion), n+1
		}
	}
	if n != 1 {
		return -1
	}
	return v
}
