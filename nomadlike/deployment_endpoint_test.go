package nomadlike_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// rollout is a job whose version 0 is stable and whose version 1 is being
// deployed: one canary and one other allocation placed through the plan
// applier, as the scheduler will.
type rollout struct {
	s      *nomadlike.Server
	node   *structs.Node
	job    *structs.Job // version 1, as stored
	d      *structs.Deployment
	canary *structs.Allocation
	other  *structs.Allocation
}

func startRollout(t *testing.T, s *nomadlike.Server, canaries int) *rollout {
	t.Helper()
	node := mock.Node()
	var nr structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.Canary = canaries
	job.TaskGroups[0].Update.AutoRevert = true
	registerJob(t, s, job)
	var sr structs.JobStabilityResponse
	if err := s.RPC(structs.JobStableRPC, &structs.JobStabilityRequest{JobID: job.ID, JobVersion: 0, Stable: true}, &sr); err != nil {
		t.Fatal(err)
	}
	v1 := job.Copy()
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"2000"}
	registerJob(t, s, v1)
	stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil || stored.Version != 1 {
		t.Fatalf("job v1 not stored: %v %v", stored, err)
	}
	r := &rollout{s: s, node: node, job: stored, d: mock.DeploymentFor(stored)}
	r.canary, r.other = mock.AllocFor(stored, node, 0), mock.AllocFor(stored, node, 1)
	plan := &structs.Plan{EvalID: r.canary.EvalID, Priority: stored.Priority, Job: stored, Deployment: r.d}
	for _, a := range []*structs.Allocation{r.canary, r.other} {
		a.Job, a.DeploymentID, a.ModifyTime = nil, r.d.ID, time.Now().UnixNano()
		plan.AppendAlloc(a)
	}
	if canaries > 0 {
		r.canary.DeploymentStatus = &structs.AllocDeploymentStatus{Canary: true}
		r.d.TaskGroups["web"].PlacedCanaries = []string{r.canary.ID}
	}
	if _, err := nomadlike.SubmitPlanForTest(s, plan); err != nil {
		t.Fatalf("submit plan: %v", err)
	}
	return r
}

func (r *rollout) deployment(t *testing.T) *structs.Deployment {
	t.Helper()
	var resp structs.SingleDeploymentResponse
	if err := r.s.RPC(structs.DeploymentGetDeploymentRPC, &structs.DeploymentSpecificRequest{DeploymentID: r.d.ID}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Deployment == nil {
		t.Fatal("deployment not found")
	}
	return resp.Deployment
}

// report sends a client's health report through Node.UpdateAlloc.
func (r *rollout) report(t *testing.T, alloc *structs.Allocation, healthy bool) {
	t.Helper()
	up := &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{
		ID: alloc.ID, NodeID: r.node.ID, JobID: alloc.JobID, TaskGroup: alloc.TaskGroup,
		ClientStatus:     structs.AllocClientStatusRunning,
		DeploymentStatus: &structs.AllocDeploymentStatus{Healthy: &healthy, Timestamp: time.Now()},
	}}}
	var resp structs.GenericResponse
	if err := r.s.RPC(structs.NodeUpdateAllocRPC, up, &resp); err != nil {
		t.Fatal(err)
	}
}

func (r *rollout) evalCount(t *testing.T) int {
	t.Helper()
	evals, err := r.s.State().EvalsByJob(nil, r.job.Namespace, r.job.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(evals)
}

// TestDeploymentEndpoint_BadInput sends each kind of bad request and checks
// the error names the problem and nothing was applied.
func TestDeploymentEndpoint_BadInput(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	r := startRollout(t, s, 1)
	plain := startRollout(t, s, 0)
	failed := startRollout(t, s, 0)
	var fr structs.DeploymentUpdateResponse
	if err := s.RPC(structs.DeploymentFailRPC, &structs.DeploymentFailRequest{DeploymentID: failed.d.ID}, &fr); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		target *rollout
		method string
		args   interface{}
		want   string
	}{
		{"missing ID", r, structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{All: true}, "missing DeploymentID"},
		{"unknown deployment", r, structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{DeploymentID: "nope", All: true}, `deployment "nope": not found`},
		{"no canaries to promote", plain, structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{DeploymentID: plain.d.ID, All: true}, "has no canaries to promote"},
		{"canary not healthy yet", r, structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{DeploymentID: r.d.ID, All: true},
			`canary allocation "` + r.canary.ID + `" of task group "web" is not healthy`},
		{"unknown group", r, structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{DeploymentID: r.d.ID, Groups: []string{"db"}}, `has no task group "db"`},
		{"promote a terminal deployment", failed, structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{DeploymentID: failed.d.ID, All: true},
			"can't promote terminal deployment"},
		{"pause a failed deployment", failed, structs.DeploymentPauseRPC, &structs.DeploymentPauseRequest{DeploymentID: failed.d.ID, Pause: true},
			"can't pause terminal deployment " + `"` + failed.d.ID + `": it is failed`},
		{"resume a failed deployment", failed, structs.DeploymentPauseRPC, &structs.DeploymentPauseRequest{DeploymentID: failed.d.ID}, "can't resume terminal deployment"},
		{"fail a failed deployment", failed, structs.DeploymentFailRPC, &structs.DeploymentFailRequest{DeploymentID: failed.d.ID}, "can't fail terminal deployment"},
		{"health of an allocation of another deployment", r, structs.DeploymentSetAllocHealthRPC,
			&structs.DeploymentAllocHealthRequest{DeploymentID: r.d.ID, HealthyAllocationIDs: []string{plain.other.ID}},
			`allocation "` + plain.other.ID + `" is not part of deployment`},
		{"health without allocations", r, structs.DeploymentSetAllocHealthRPC, &structs.DeploymentAllocHealthRequest{DeploymentID: r.d.ID},
			"name at least one healthy or unhealthy allocation ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, evals := tc.target.deployment(t), tc.target.evalCount(t)
			var resp structs.DeploymentUpdateResponse
			err := s.RPC(tc.method, tc.args, &resp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if after := tc.target.deployment(t); after.ModifyIndex != before.ModifyIndex || tc.target.evalCount(t) != evals {
				t.Fatal("a refused request changed the state")
			}
		})
	}
}

// TestDeploymentEndpoint_Lifecycle drives a canary deployment: client
// health reports, promotion, pause and resume, then a failure that
// reverts the job to its stable version.
func TestDeploymentEndpoint_Lifecycle(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	r := startRollout(t, s, 1)

	r.report(t, r.canary, true)
	if g := r.deployment(t).TaskGroups["web"]; g.PlacedAllocs != 2 || g.HealthyAllocs != 1 {
		t.Fatalf("after a health report: %+v; want 2 placed, 1 healthy", g)
	}

	var resp structs.DeploymentUpdateResponse
	if err := s.RPC(structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{DeploymentID: r.d.ID, All: true}, &resp); err != nil {
		t.Fatal(err)
	}
	d := r.deployment(t)
	eval, _ := s.State().EvalByID(nil, resp.EvalID)
	if !d.TaskGroups["web"].Promoted || resp.DeploymentModifyIndex != d.ModifyIndex || eval == nil ||
		eval.DeploymentID != d.ID || eval.TriggeredBy != structs.EvalTriggerDeploymentWatcher || resp.EvalCreateIndex != eval.CreateIndex {
		t.Fatalf("promote: response %+v, deployment %+v, eval %+v", resp, d.TaskGroups["web"], eval)
	}

	steps := []struct {
		name     string
		pause    bool
		status   string
		wantEval bool
	}{
		{"pause", true, structs.DeploymentStatusPaused, false},
		{"resume", false, structs.DeploymentStatusRunning, true},
	}
	for _, st := range steps {
		var pr structs.DeploymentUpdateResponse
		if err := s.RPC(structs.DeploymentPauseRPC, &structs.DeploymentPauseRequest{DeploymentID: r.d.ID, Pause: st.pause}, &pr); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := r.deployment(t).Status; got != st.status || (pr.EvalID != "") != st.wantEval {
			t.Fatalf("%s: status %q, eval %q; want %q and an eval %v", st.name, got, pr.EvalID, st.status, st.wantEval)
		}
	}

	var fr structs.DeploymentUpdateResponse
	if err := s.RPC(structs.DeploymentFailRPC, &structs.DeploymentFailRequest{DeploymentID: r.d.ID}, &fr); err != nil {
		t.Fatal(err)
	}
	d = r.deployment(t)
	job, _ := s.State().JobByID(nil, r.job.Namespace, r.job.ID)
	if d.Status != structs.DeploymentStatusFailed || d.StatusDescription != "Deployment marked as failed - rolling back to job version 0" ||
		fr.RevertedJobVersion == nil || *fr.RevertedJobVersion != 0 || job.Version != 2 || job.TaskGroups[0].Tasks[0].Config["args"].([]interface{})[0] != "1000" {
		t.Fatalf("fail: deployment %s %q, response %+v, job version %d", d.Status, d.StatusDescription, fr, job.Version)
	}
}

func TestDeploymentEndpoint_Reads(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	a, b := startRollout(t, s, 1), startRollout(t, s, 0)

	var list structs.DeploymentListResponse
	if err := s.RPC(structs.DeploymentListRPC, &structs.DeploymentListRequest{}, &list); err != nil {
		t.Fatal(err)
	}
	var prefixed structs.DeploymentListResponse
	if err := s.RPC(structs.DeploymentListRPC, &structs.DeploymentListRequest{QueryOptions: structs.QueryOptions{Prefix: a.d.ID[:8]}}, &prefixed); err != nil {
		t.Fatal(err)
	}
	var allocs structs.AllocListResponse
	if err := s.RPC(structs.DeploymentAllocationsRPC, &structs.DeploymentSpecificRequest{DeploymentID: a.d.ID}, &allocs); err != nil {
		t.Fatal(err)
	}
	var byJob structs.DeploymentListResponse
	if err := s.RPC(structs.JobDeploymentsRPC, &structs.JobSpecificRequest{JobID: b.job.ID}, &byJob); err != nil {
		t.Fatal(err)
	}
	var latest, none structs.SingleDeploymentResponse
	if err := s.RPC(structs.JobLatestDeploymentRPC, &structs.JobSpecificRequest{JobID: a.job.ID}, &latest); err != nil {
		t.Fatal(err)
	}
	if err := s.RPC(structs.DeploymentGetDeploymentRPC, &structs.DeploymentSpecificRequest{DeploymentID: "nope"}, &none); err != nil {
		t.Fatal(err)
	}
	switch {
	case len(list.Deployments) != 2 || list.Deployments[0].ID != b.d.ID:
		t.Fatalf("list %v, want both, newest (b) first", list.Deployments)
	case len(prefixed.Deployments) != 1 || prefixed.Deployments[0].ID != a.d.ID:
		t.Fatalf("prefix list %v", prefixed.Deployments)
	case len(allocs.Allocations) != 2 || allocs.Allocations[0].DeploymentStatus == nil && allocs.Allocations[1].DeploymentStatus == nil:
		t.Fatalf("deployment allocations %v; want 2 with the canary's status", allocs.Allocations)
	case len(byJob.Deployments) != 1 || byJob.Deployments[0].ID != b.d.ID:
		t.Fatalf("job deployments %v", byJob.Deployments)
	case latest.Deployment == nil || latest.Deployment.ID != a.d.ID || latest.Index == 0:
		t.Fatalf("latest %+v", latest)
	case none.Deployment != nil:
		t.Fatalf("unknown deployment returned %+v", none.Deployment)
	}
}

// A blocking read of a deployment returns once a client's health report
// changes it.
func TestDeploymentEndpoint_BlockingGet(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	r := startRollout(t, s, 0)
	before := r.deployment(t)
	type answer struct {
		resp structs.SingleDeploymentResponse
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		var a answer
		a.err = s.RPC(structs.DeploymentGetDeploymentRPC, &structs.DeploymentSpecificRequest{
			DeploymentID: r.d.ID,
			QueryOptions: structs.QueryOptions{MinQueryIndex: before.ModifyIndex, MaxQueryTime: 30 * time.Second},
		}, &a.resp)
		done <- a
	}()
	r.report(t, r.other, true)
	select {
	case a := <-done:
		if a.err != nil || a.resp.Index <= before.ModifyIndex || a.resp.Deployment.TaskGroups["web"].HealthyAllocs != 1 {
			t.Fatalf("blocking read answered %+v (%v), want the deployment after the report", a.resp, a.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the blocking read did not wake")
	}
}
