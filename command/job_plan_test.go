package command

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

const checkIndexTail = `To submit the job with version verification run:

orch job run -check-index 7 %PATH%

When running the job with the check-index flag, the job will only be run if the
job modify index given matches the server-side version. If the index has
changed, another user has modified the job and the plan's results are
potentially invalid.
`

// TestJobPlan_Output renders canned plan answers and checks the whole
// output and the exit code Nomad gives each.
func TestJobPlan_Output(t *testing.T) {
	cases := []struct {
		name     string
		resp     api.JobPlanResponse
		args     []string
		wantOut  string
		wantCode int
	}{
		{"count change: in place plus a create", api.JobPlanResponse{
			JobModifyIndex: 7,
			Annotations:    &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Place: 1, InPlaceUpdate: 2}}},
			Diff: &api.JobDiff{Type: "Edited", ID: "web", TaskGroups: []*api.TaskGroupDiff{{
				Type: "Edited", Name: "web", Updates: map[string]uint64{"create": 1, "in-place update": 2},
				Fields: []*api.FieldDiff{{Type: "Edited", Name: "Count", Old: "2", New: "3", Annotations: []string{"forces create"}}},
				Tasks:  []*api.TaskDiff{{Type: "None", Name: "server"}},
			}}},
		}, nil, `+/- Job: "web"
+/- Task Group: "web" (1 create, 2 in-place update)
  +/- Count: "2" => "3" (forces create)
      Task: "server"

Scheduler dry-run:
- All tasks successfully allocated.

Job Modify Index: 7
`, 1},
		{"new command: a block with its context", api.JobPlanResponse{
			JobModifyIndex: 7,
			Annotations:    &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {DestructiveUpdate: 2}}},
			Diff: &api.JobDiff{Type: "Edited", ID: "web", TaskGroups: []*api.TaskGroupDiff{{
				Type: "Edited", Name: "web", Updates: map[string]uint64{"create/destroy update": 2},
				Tasks: []*api.TaskDiff{{Type: "Edited", Name: "server", Annotations: []string{"forces create/destroy update"},
					Objects: []*api.ObjectDiff{{Type: "Edited", Name: "Config", Fields: []*api.FieldDiff{
						{Type: "None", Name: "args[0]", Old: "60", New: "60"},
						{Type: "Edited", Name: "command", Old: "/bin/sleep", New: "/bin/true"},
					}}}}},
			}}},
		}, nil, `+/- Job: "web"
+/- Task Group: "web" (2 create/destroy update)
  +/- Task: "server" (forces create/destroy update)
    +/- Config {
          args[0]: "60"
      +/- command: "/bin/sleep" => "/bin/true"
        }

Scheduler dry-run:
- All tasks successfully allocated.

Job Modify Index: 7
`, 1},
		{"unchanged job exits 0", api.JobPlanResponse{
			JobModifyIndex: 7,
			Annotations:    &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Ignore: 2}}},
			Diff: &api.JobDiff{Type: "None", ID: "web", TaskGroups: []*api.TaskGroupDiff{{
				Type: "None", Name: "web", Updates: map[string]uint64{"ignore": 2},
				Tasks: []*api.TaskDiff{{Type: "None", Name: "server"}},
			}}},
		}, nil, `Job: "web"
Task Group: "web" (2 ignore)
  Task: "server"

Scheduler dry-run:
- All tasks successfully allocated.

Job Modify Index: 7
`, 0},
		{"preemptions and the next periodic launch", api.JobPlanResponse{
			JobModifyIndex: 7,
			Annotations: &api.PlanAnnotations{
				DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Place: 1, Preemptions: 1}},
				PreemptedAllocs: []*api.AllocationListStub{{ID: "0123456789abcdef", JobID: "batch", TaskGroup: "crunch",
					NodeID: "fedcba9876543210"}},
			},
			NextPeriodicLaunch: time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC),
			Diff:               &api.JobDiff{Type: "Added", ID: "web"},
		}, []string{"-diff=false"}, `Scheduler dry-run:
- All tasks successfully allocated.
- If submitted now, next periodic launch would be at 2030-01-02T03:00:00Z.

Preemptions:

Alloc ID  Job ID  Task Group  Node ID
01234567  batch   crunch      fedcba98

Job Modify Index: 7
`, 1},
		{"failed placements explained, diff hidden", api.JobPlanResponse{
			JobModifyIndex: 7,
			Annotations:    &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Place: 2}}},
			Diff:           &api.JobDiff{Type: "Added", ID: "web"},
			FailedTGAllocs: map[string]*api.AllocationMetric{"web": {
				NodesEvaluated: 2, NodesFiltered: 2, CoalescedFailures: 1,
				ConstraintFiltered: map[string]int{"${attr.kernel.name} = windows": 2},
			}},
		}, []string{"-diff=false"}, `Scheduler dry-run:
- WARNING: Failed to place all allocations.
  Task Group "web" (failed to place 2 allocations):
    * Constraint "${attr.kernel.name} = windows": 2 nodes excluded by filter

Job Modify Index: 7
`, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var diffAsked bool
			addr := fakeAPI(t, map[string]interface{}{
				"PUT /v1/job/web/plan": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var req api.JobPlanRequest
					readJSONBody(t, r, &req)
					diffAsked = req.Diff
					writeJSONBody(t, w, &tc.resp)
				}),
			})
			path := writeJob(t, testJobHCL)
			ui := newUi()
			cmd := &JobPlanCommand{Meta: Meta{Ui: ui}}
			code := cmd.Run(append(append([]string{"-address", addr}, tc.args...), path))
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tc.wantCode, ui.ErrorWriter)
			}
			if !diffAsked {
				t.Error("the plan did not ask for the diff the exit code depends on")
			}
			want := tc.wantOut + strings.ReplaceAll(checkIndexTail, "%PATH%", path)
			if got := ui.OutputWriter.String(); got != want {
				t.Errorf("output:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestJobPlan_Errors(t *testing.T) {
	addr := fakeAPI(t, map[string]interface{}{
		"PUT /v1/job/web/plan": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "invalid job: Priority: 500 is out of range", http.StatusBadRequest)
		}),
	})
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"server refuses the job", []string{"-address", addr, writeJob(t, testJobHCL)}, "Error during plan: "},
		{"jobspec error names the line", []string{"-address", addr, writeJob(t, "job \"web\" {\n  group {\n")}, "web.hcl:"},
		{"no file", []string{"-address", addr}, "This command takes 1 argument(s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			if code := (&JobPlanCommand{Meta: Meta{Ui: ui}}).Run(tc.args); code != 255 {
				t.Errorf("exit %d, want 255", code)
			}
			if !strings.Contains(ui.ErrorWriter.String(), tc.want) {
				t.Errorf("stderr %q does not mention %q", ui.ErrorWriter, tc.want)
			}
		})
	}
}

func TestJobPlan_RunArgs(t *testing.T) {
	got := runArgs([]string{"secs=5"}, []string{"prod.vars"}, false)
	if want := `-var="secs=5" -var-file="prod.vars" `; got != want {
		t.Fatalf("run args %q, want %q", got, want)
	}
}
