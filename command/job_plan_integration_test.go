package command

import (
	"fmt"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/orch-dev/orch/api"
)

// plannedJob is the jobspec the plan tests change: count and sleep length.
func plannedJob(id string, count int, secs string) string {
	return fmt.Sprintf(`
job %q {
  group "g" {
    count = %d
    task "sleep" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = [%q]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`, id, count, secs)
}

// cliRun runs one verb against the agent and returns its exit code and
// output.
func cliRun(t *testing.T, c *api.Client, verb string, args ...string) (int, string, string) {
	t.Helper()
	ui := newUi()
	meta := Meta{Ui: ui}
	args = append([]string{"-address", c.Address()}, args...)
	var code int
	switch verb {
	case "plan":
		code = (&JobPlanCommand{Meta: meta}).Run(args)
	case "run":
		code = (&JobRunCommand{Meta: meta}).Run(args)
	default:
		t.Fatalf("unknown verb %s", verb)
	}
	return code, ui.OutputWriter.String(), ui.ErrorWriter.String()
}

func jobModifyIndex(t *testing.T, c *api.Client, id string) uint64 {
	t.Helper()
	job, _, err := c.Jobs().Info(id, nil)
	if err != nil {
		t.Fatalf("reading job %s: %v", id, err)
	}
	return *job.JobModifyIndex
}

func waitAllocs(t *testing.T, c *api.Client, id string, n int) {
	t.Helper()
	pollUntil(t, 20*time.Second, fmt.Sprintf("%d allocations of %s", n, id), func() (bool, string) {
		allocs, _, err := c.Jobs().Allocations(id, false, nil)
		if err != nil {
			return false, err.Error()
		}
		live := 0
		for _, a := range allocs {
			if a.DesiredStatus == "run" {
				live++
			}
		}
		return live == n, fmt.Sprintf("%d live of %d", live, len(allocs))
	})
}

// stopAtEnd deregisters the job when the test ends and waits for its
// tasks to exit, so no task runner logs after the agent's test is over.
func stopAtEnd(t *testing.T, c *api.Client, id string) {
	t.Cleanup(func() {
		if _, _, err := c.Jobs().Deregister(id, false, nil); err != nil {
			t.Errorf("stopping %s: %v", id, err)
			return
		}
		pollUntil(t, 20*time.Second, "allocations of "+id+" stopped", func() (bool, string) {
			got := statusCounts(t, c, id)
			return got["running"] == 0 && got["pending"] == 0, fmt.Sprint(got)
		})
	})
}

// TestDevAgent_JobPlan plans against a real dev agent: a new job, an
// in-place change (count 2 to 3), a destructive one (new args), no change,
// and the same count change through HashiCorp's Nomad client. No plan
// changes the job or its allocations.
func TestDevAgent_JobPlan(t *testing.T) {
	c := startDevAgent(t)
	newJob := writeJob(t, plannedJob("planned", 2, "300"))
	code, out, errOut := cliRun(t, c, "plan", newJob)
	if code != 1 {
		t.Fatalf("plan of a new job: exit %d, want 1\n%s%s", code, out, errOut)
	}
	assertContains(t, out, `+ Job: "planned"`, `+ Task Group: "g" (2 create)`, `+ Task: "sleep" (forces create)`,
		"- All tasks successfully allocated.", "Job Modify Index: 0", "orch job run -check-index 0 "+newJob)

	registerHCL(t, c, plannedJob("planned", 2, "300"))
	stopAtEnd(t, c, "planned")
	waitAllocs(t, c, "planned", 2)
	index := jobModifyIndex(t, c, "planned")
	cases := []struct {
		name     string
		hcl      string
		wantCode int
		want     []string
	}{
		{"count 2 to 3 is one create and two in-place updates", plannedJob("planned", 3, "300"), 1, []string{
			`+/- Job: "planned"`, `+/- Task Group: "g" (1 create, 2 in-place update)`,
			`+/- Count: "2" => "3" (forces create)`, `      Task: "sleep"`,
		}},
		// A service job without an update block rolls out with the
		// defaults (max_parallel 1): one replacement now, as in Nomad.
		{"new args replace one allocation at a time", plannedJob("planned", 2, "600"), 1, []string{
			`+/- Task Group: "g" (1 create/destroy update, 1 ignore)`, `+/- Task: "sleep" (forces create/destroy update)`,
			`+/- Config {`, `+/- args[0]: "300" => "600"`, `    command: "/bin/sleep"`,
		}},
		{"a canary update places one canary beside both", strings.Replace(plannedJob("planned", 2, "600"),
			"count = 2", "count = 2\n    update {\n      canary = 1\n    }", 1), 1, []string{
			`+/- Task Group: "g" (1 canary, 2 ignore)`, `+/- Task: "sleep" (forces create/destroy update)`,
		}},
		{"no change ignores both", plannedJob("planned", 2, "300"), 0, []string{
			`Job: "planned"`, `Task Group: "g" (2 ignore)`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cliRun(t, c, "plan", writeJob(t, tc.hcl))
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not contain %q:\n%s", w, out)
				}
			}
			assertContains(t, out, "- All tasks successfully allocated.", fmt.Sprintf("Job Modify Index: %d", index))
		})
	}
	t.Run("Nomad client decodes the plan", func(t *testing.T) {
		nc, err := nomad.NewClient(&nomad.Config{Address: c.Address()})
		if err != nil {
			t.Fatal(err)
		}
		job, err := nc.Jobs().ParseHCL(plannedJob("planned", 3, "300"), true)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		resp, _, err := nc.Jobs().Plan(job, true, nil)
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		d := resp.Annotations.DesiredTGUpdates["g"]
		if d == nil || d.Place != 1 || d.InPlaceUpdate != 2 || resp.JobModifyIndex != index || len(resp.FailedTGAllocs) != 0 {
			t.Fatalf("plan %+v with updates %+v, want 1 place, 2 in place at index %d", resp, d, index)
		}
		tg := resp.Diff.TaskGroups[0]
		if resp.Diff.Type != "Edited" || tg.Updates["create"] != 1 || len(tg.Fields) != 1 || tg.Fields[0].Name != "Count" {
			t.Fatalf("diff %+v, group %+v: want only Count edited", resp.Diff, tg)
		}
	})
	if got := jobModifyIndex(t, c, "planned"); got != index {
		t.Errorf("job modify index moved from %d to %d: a plan changed the job", index, got)
	}
	waitAllocs(t, c, "planned", 2)
}

// TestDevAgent_CheckIndex runs what plan suggests: `job run -check-index`
// with the index of a new job (0), then a stale index after someone else
// changed the job, which is refused, and then the current one.
func TestDevAgent_CheckIndex(t *testing.T) {
	c := startDevAgent(t)
	first := writeJob(t, plannedJob("guarded", 1, "300"))
	if code, out, errOut := cliRun(t, c, "run", "-detach", "-check-index", "0", first); code != 0 {
		t.Fatalf("run -check-index 0 of a new job: exit %d\n%s%s", code, out, errOut)
	}
	stopAtEnd(t, c, "guarded")
	planned := jobModifyIndex(t, c, "guarded")
	next := writeJob(t, plannedJob("guarded", 2, "300"))
	code, out, _ := cliRun(t, c, "plan", next)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("orch job run -check-index %d %s", planned, next)) {
		t.Fatalf("plan: exit %d, want 1 and the check-index hint for %d:\n%s", code, planned, out)
	}
	// Someone else changes the job between the plan and the run.
	registerHCL(t, c, plannedJob("guarded", 3, "300"))
	current := jobModifyIndex(t, c, "guarded")
	if current == planned {
		t.Fatalf("the other registration did not move the job modify index from %d", planned)
	}
	code, _, errOut := cliRun(t, c, "run", "-detach", "-check-index", fmt.Sprint(planned), next)
	want := fmt.Sprintf("Enforcing job modify index %d: job exists with conflicting job modify index: %d\nJob not updated\n", planned, current)
	if code != 1 || errOut != want {
		t.Fatalf("stale run: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	if got := jobModifyIndex(t, c, "guarded"); got != current {
		t.Fatalf("the refused run changed the job: index %d, want %d", got, current)
	}
	if code, out, errOut := cliRun(t, c, "run", "-detach", "-check-index", fmt.Sprint(current), next); code != 0 {
		t.Fatalf("run with the current index: exit %d\n%s%s", code, out, errOut)
	}
	if got := jobModifyIndex(t, c, "guarded"); got == current {
		t.Fatal("the accepted run did not register the new version")
	}
}
