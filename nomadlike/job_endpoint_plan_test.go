package nomadlike_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func planJob(t *testing.T, rpc structs.RPCer, job *structs.Job) *structs.JobPlanResponse {
	t.Helper()
	var resp structs.JobPlanResponse
	if err := rpc.RPC(structs.JobPlanRPC, &structs.JobPlanRequest{Job: job, Diff: true}, &resp); err != nil {
		t.Fatalf("plan job: %v", err)
	}
	return &resp
}

// runJob registers job and waits until the real scheduler's evaluation of
// it completed.
func runJob(t *testing.T, s *nomadlike.Server, job *structs.Job) *structs.JobRegisterResponse {
	t.Helper()
	resp := registerJob(t, s, job)
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		var eval structs.SingleEvalResponse
		if err := s.RPC(structs.EvalGetEvalRPC, &structs.EvalSpecificRequest{EvalID: resp.EvalID}, &eval); err != nil {
			return err
		}
		if eval.Eval == nil || eval.Eval.Status != structs.EvalStatusComplete {
			return fmt.Errorf("eval %+v not complete", eval.Eval)
		}
		return nil
	})
	return resp
}

// stateFingerprint is what a plan must leave as it was: the state index,
// and the job's version and modify index.
func stateFingerprint(t *testing.T, s *nomadlike.Server, job *structs.Job) string {
	t.Helper()
	index, err := s.State().LatestIndex()
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored == nil {
		return fmt.Sprintf("index %d, no job", index)
	}
	return fmt.Sprintf("index %d, job version %d modify index %d", index, stored.Version, stored.JobModifyIndex)
}

// smallJob is a job of count 2 small enough that every case's copy fits
// on the test nodes at once.
func smallJob() *structs.Job {
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 20, MemoryMB: 16}
	return job
}

// TestJobPlan runs Job.Plan with the real scheduler on a two-node server,
// in process and over the RPC port, for each kind of change.
func TestJobPlan(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	for range 2 {
		var reg structs.NodeUpdateResponse
		if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: mock.Node()}, &reg); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		// change makes the planned version from the running one; a nil
		// change plans a job that is not registered.
		change      func(*structs.Job)
		want        structs.DesiredUpdates
		diffType    structs.DiffType
		taskNote    []string
		wantFailure func(*testing.T, *structs.AllocMetric)
	}{
		{name: "new job places every allocation", want: structs.DesiredUpdates{Place: 2},
			diffType: structs.DiffTypeAdded, taskNote: []string{structs.AnnotationForcesCreate}},
		{name: "unchanged job ignores its allocations", change: func(*structs.Job) {},
			want: structs.DesiredUpdates{Ignore: 2}, diffType: structs.DiffTypeNone},
		{name: "count 2 to 3 places one and updates two in place", change: func(j *structs.Job) {
			j.TaskGroups[0].Count = 3
		}, want: structs.DesiredUpdates{Place: 1, InPlaceUpdate: 2}, diffType: structs.DiffTypeEdited},
		{name: "new command replaces both", change: func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
		}, want: structs.DesiredUpdates{DestructiveUpdate: 2}, diffType: structs.DiffTypeEdited,
			taskNote: []string{structs.AnnotationForcesDestructiveUpdate}},
		{name: "constraint no node meets names the constraint", change: func(j *structs.Job) {
			j.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "windows", Operand: "="}}
		}, want: structs.DesiredUpdates{DestructiveUpdate: 2}, diffType: structs.DiffTypeEdited,
			wantFailure: func(t *testing.T, m *structs.AllocMetric) {
				if m.NodesEvaluated != 2 || m.NodesFiltered != 2 || m.ConstraintFiltered["${attr.kernel.name} = windows"] != 2 {
					t.Errorf("metric %+v, want both nodes filtered by the kernel constraint", m)
				}
			}},
		{name: "more memory than any node names the dimension", change: func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 1 << 20
		}, want: structs.DesiredUpdates{DestructiveUpdate: 2}, diffType: structs.DiffTypeEdited,
			taskNote: []string{structs.AnnotationForcesDestructiveUpdate},
			wantFailure: func(t *testing.T, m *structs.AllocMetric) {
				if m.NodesExhausted != 2 || m.DimensionExhausted["memory"] != 2 || m.CoalescedFailures != 1 {
					t.Errorf("metric %+v, want 2 failed placements, both nodes exhausted on memory", m)
				}
			}},
	}
	transports := map[string]structs.RPCer{"in process": s, "tcp": newTCPRPC(t, s)}
	for name, rpc := range transports {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				job := smallJob()
				var registered uint64
				if tc.change != nil {
					runJob(t, s, job)
					stored, _ := s.State().JobByID(nil, job.Namespace, job.ID)
					registered = stored.JobModifyIndex
					job = job.Copy()
					tc.change(job)
				}
				before := stateFingerprint(t, s, job)
				resp := planJob(t, rpc, job)
				if after := stateFingerprint(t, s, job); after != before {
					t.Fatalf("the plan changed state: %s, then %s", before, after)
				}
				got := resp.Annotations.DesiredTGUpdates["web"]
				if got == nil || *got != tc.want {
					t.Errorf("desired updates %+v, want %+v", got, tc.want)
				}
				if resp.JobModifyIndex != registered {
					t.Errorf("JobModifyIndex %d, want the registered job's %d", resp.JobModifyIndex, registered)
				}
				if resp.Diff == nil || resp.Diff.Type != tc.diffType || resp.Diff.ID != job.ID {
					t.Fatalf("diff %+v, want type %s for %s", resp.Diff, tc.diffType, job.ID)
				}
				if note := resp.Diff.TaskGroups[0].Tasks[0].Annotations; !slices.Equal(note, tc.taskNote) {
					t.Errorf("task annotations %q, want %q", note, tc.taskNote)
				}
				m := resp.FailedTGAllocs["web"]
				switch {
				case tc.wantFailure == nil && m != nil:
					t.Errorf("unexpected placement failure %+v", m)
				case tc.wantFailure != nil && m == nil:
					t.Fatalf("no placement failure for group web")
				case tc.wantFailure != nil:
					tc.wantFailure(t, m)
					if len(resp.CreatedEvals) != 1 || resp.CreatedEvals[0].Status != structs.EvalStatusBlocked {
						t.Errorf("created evals %+v, want the blocked eval the failure would leave", resp.CreatedEvals)
					}
				}
			})
		}
	}
}

// TestJobPlan_CountUpDiff checks the annotated diff of the count change
// `orch job plan` prints: the group's updates and the count's note.
func TestJobPlan_CountUpDiff(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: mock.Node()}, &reg); err != nil {
		t.Fatal(err)
	}
	job := smallJob()
	runJob(t, s, job)
	next := job.Copy()
	next.TaskGroups[0].Count = 3
	tg := planJob(t, s, next).Diff.TaskGroups[0]
	if tg.Updates[structs.UpdateTypeCreate] != 1 || tg.Updates[structs.UpdateTypeInplaceUpdate] != 2 || len(tg.Updates) != 2 {
		t.Errorf("group updates %v, want 1 create and 2 in-place updates", tg.Updates)
	}
	if len(tg.Fields) != 1 || tg.Fields[0].Name != "Count" || tg.Fields[0].Old != "2" || tg.Fields[0].New != "3" ||
		!slices.Equal(tg.Fields[0].Annotations, []string{structs.AnnotationForcesCreate}) {
		t.Errorf("group fields %+v, want Count 2 => 3 (forces create)", tg.Fields)
	}
}

func TestJobPlan_BadRequests(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	invalid := mock.Job()
	invalid.TaskGroups[0].Tasks[0].Driver = ""
	cases := []struct {
		name string
		job  *structs.Job
		want string
	}{
		{"missing job", nil, "missing job"},
		{"invalid job names the field", invalid, `Tasks["web"].Driver`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var resp structs.JobPlanResponse
			err := s.RPC(structs.JobPlanRPC, &structs.JobPlanRequest{Job: tc.job}, &resp)
			if !errors.Is(err, structs.ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a bad request mentioning %q", err, tc.want)
			}
		})
	}
}
