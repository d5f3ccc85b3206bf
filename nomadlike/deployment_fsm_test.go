package nomadlike

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// deployedJob registers a job with a canary update block and commits a
// plan that creates its deployment with one canary and one other
// allocation, at indexes 1-3.
func deployedJob(t *testing.T, f *FSM) (*structs.Job, *structs.Deployment, []*structs.Allocation) {
	t.Helper()
	job, node := mock.Job(), mock.Node()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.Canary = 1
	mustApply(t, f, 1, structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node})
	mustApply(t, f, 2, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job})
	stored, err := f.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := mock.DeploymentFor(stored)
	var allocs []*structs.Allocation
	for i := 0; i < 2; i++ {
		a := mock.AllocFor(stored, node, i)
		a.Job, a.DeploymentID, a.ModifyTime = nil, d.ID, time.Unix(1700000000, 0).UnixNano()
		allocs = append(allocs, a)
	}
	allocs[0].DeploymentStatus = &structs.AllocDeploymentStatus{Canary: true}
	mustApply(t, f, 3, structs.ApplyPlanResultsRequestType,
		&structs.ApplyPlanResultsRequest{Job: stored, AllocsUpdated: allocs, Deployment: d})
	return stored, d, allocs
}

func clientHealth(id string, healthy bool) *structs.AllocUpdateRequest {
	return &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{
		ID: id, ClientStatus: structs.AllocClientStatusRunning,
		DeploymentStatus: &structs.AllocDeploymentStatus{Healthy: &healthy, Timestamp: time.Unix(1700000100, 0)},
	}}}
}

// TestFSM_DeploymentEntries applies, in order, each entry that moves a
// deployment, checking the state and the evaluations handed on.
func TestFSM_DeploymentEntries(t *testing.T) {
	t.Parallel()
	var notified []string
	f := testFSM(t, func(evals []*structs.Evaluation) {
		for _, e := range evals {
			notified = append(notified, e.ID)
		}
	})
	job, d, allocs := deployedJob(t, f)
	dep := func(t *testing.T) *structs.Deployment {
		t.Helper()
		got, err := f.State().DeploymentByID(nil, d.ID)
		if err != nil || got == nil {
			t.Fatalf("deployment: %v %v", got, err)
		}
		return got
	}
	if g := dep(t).TaskGroups["web"]; g.PlacedAllocs != 2 || len(g.PlacedCanaries) != 1 {
		t.Fatalf("after the plan: %+v; want 2 placed, 1 canary", g)
	}
	promoteEval, resumeEval, healthEval := mock.EvalFor(job), mock.EvalFor(job), mock.EvalFor(job)
	steps := []struct {
		name      string
		msgType   structs.MessageType
		msg       interface{}
		wantEvals []string
		check     func(t *testing.T, d *structs.Deployment)
	}{
		{"client health", structs.AllocClientUpdateRequestType, clientHealth(allocs[0].ID, true), nil,
			func(t *testing.T, d *structs.Deployment) {
				if d.TaskGroups["web"].HealthyAllocs != 1 {
					t.Fatalf("healthy %d, want 1", d.TaskGroups["web"].HealthyAllocs)
				}
			}},
		{"promote", structs.DeploymentPromoteRequestType, &structs.ApplyDeploymentPromoteRequest{
			DeploymentPromoteRequest: structs.DeploymentPromoteRequest{DeploymentID: d.ID, All: true},
			Now:                      time.Unix(1700000200, 0), Eval: promoteEval,
		}, []string{promoteEval.ID}, func(t *testing.T, d *structs.Deployment) {
			if !d.TaskGroups["web"].Promoted {
				t.Fatal("not promoted")
			}
		}},
		{"pause", structs.DeploymentStatusUpdateRequestType, &structs.DeploymentStatusUpdateRequest{
			DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: d.ID, Status: structs.DeploymentStatusPaused,
				StatusDescription: structs.DeploymentStatusDescriptionPaused},
		}, nil, func(t *testing.T, d *structs.Deployment) {
			if d.Status != structs.DeploymentStatusPaused {
				t.Fatalf("status %q", d.Status)
			}
		}},
		{"resume", structs.DeploymentStatusUpdateRequestType, &structs.DeploymentStatusUpdateRequest{
			DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: d.ID, Status: structs.DeploymentStatusRunning,
				StatusDescription: structs.DeploymentStatusDescriptionRunning},
			Eval: resumeEval,
		}, []string{resumeEval.ID}, func(t *testing.T, d *structs.Deployment) {
			if d.Status != structs.DeploymentStatusRunning {
				t.Fatalf("status %q", d.Status)
			}
		}},
		{"manual unhealthy fails it", structs.DeploymentAllocHealthRequestType, &structs.ApplyDeploymentAllocHealthRequest{
			DeploymentAllocHealthRequest: structs.DeploymentAllocHealthRequest{DeploymentID: d.ID, UnhealthyAllocationIDs: []string{allocs[1].ID}},
			Timestamp:                    time.Unix(1700000300, 0),
			DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: d.ID, Status: structs.DeploymentStatusFailed,
				StatusDescription: structs.DeploymentStatusDescriptionFailedAllocations},
			Eval: healthEval,
		}, []string{healthEval.ID}, func(t *testing.T, d *structs.Deployment) {
			if d.Status != structs.DeploymentStatusFailed || d.TaskGroups["web"].UnhealthyAllocs != 1 {
				t.Fatalf("status %q, group %+v", d.Status, d.TaskGroups["web"])
			}
		}},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			notified = nil
			mustApply(t, f, uint64(10+i), st.msgType, st.msg)
			st.check(t, dep(t))
			if !cmp.Equal(notified, st.wantEvals) {
				t.Fatalf("evals handed on %v, want %v", notified, st.wantEvals)
			}
		})
	}

	refusedThenDeleted(t, f, job, d, dep)
}

// refusedThenDeleted checks that an entry the store refuses changes
// nothing, then deletes the deployment.
func refusedThenDeleted(t *testing.T, f *FSM, job *structs.Job, d *structs.Deployment, dep func(*testing.T) *structs.Deployment) {
	t.Run("a refused entry changes nothing", func(t *testing.T) {
		before := dep(t)
		resp := applyEntry(t, f, 30, structs.DeploymentStatusUpdateRequestType, &structs.DeploymentStatusUpdateRequest{
			DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: d.ID, Status: structs.DeploymentStatusRunning},
			Eval:             mock.EvalFor(job),
		})
		err, _ := resp.(error)
		if err == nil || !strings.Contains(err.Error(), "terminal status") {
			t.Fatalf("response %v, want a terminal-status error", resp)
		}
		if !cmp.Equal(before, dep(t)) {
			t.Fatal("the refused entry changed the deployment")
		}
	})
	t.Run("delete", func(t *testing.T) {
		mustApply(t, f, 31, structs.DeploymentDeleteRequestType, &structs.DeploymentDeleteRequest{Deployments: []string{d.ID}})
		if got, _ := f.State().DeploymentByID(nil, d.ID); got != nil {
			t.Fatal("deployment still there")
		}
	})
}

func TestFSM_DeploymentSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	src := testFSM(t, nil)
	_, d, allocs := deployedJob(t, src)
	mustApply(t, src, 4, structs.AllocClientUpdateRequestType, clientHealth(allocs[0].ID, true))
	snapDump := func(s *state.StateStore) map[string]interface{} {
		out := dumpState(t, s)
		ds, err := s.Deployments(nil, state.AllNamespaces, "")
		if err != nil {
			t.Fatal(err)
		}
		out["deployments"] = ds
		return out
	}
	want := snapDump(src.State())
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	dst := testFSM(t, nil)
	if err := dst.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	got := snapDump(dst.State())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("restored state differs (-want +got):\n%s", diff)
	}
	restored, _ := dst.State().DeploymentByID(nil, d.ID)
	byDeployment, _ := dst.State().AllocsByDeployment(nil, d.ID)
	if restored == nil || restored.TaskGroups["web"].HealthyAllocs != 1 || len(byDeployment) != 2 {
		t.Fatalf("restored deployment %+v with %d allocations; want 1 healthy and 2 allocations", restored, len(byDeployment))
	}
	// The restored store keeps counting.
	mustApply(t, dst, 5, structs.AllocClientUpdateRequestType, clientHealth(allocs[1].ID, true))
	if again, _ := dst.State().DeploymentByID(nil, d.ID); again.TaskGroups["web"].HealthyAllocs != 2 {
		t.Fatalf("healthy %d after a report on the restored store, want 2", again.TaskGroups["web"].HealthyAllocs)
	}
}
