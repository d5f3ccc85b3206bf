package nomadlike

import (
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestEvaluatePlan_Deployment(t *testing.T) {
	t.Parallel()
	nodeA, nodeB := planNode("A"), planNode("B")
	full := planAlloc(nodeA, 3500, 256) // 500 MHz left on A
	cases := []struct {
		name      string
		allAtOnce bool
		// canaryOnA places the plan's canary on the full node A, which
		// rejects it.
		canaryOnA    bool
		wantCanaries []string
		wantDeploy   bool
	}{
		{name: "full commit keeps the deployment", wantCanaries: []string{"canary"}, wantDeploy: true},
		{name: "a canary on a rejected node is not listed", canaryOnA: true, wantCanaries: []string{}, wantDeploy: true},
		{name: "all_at_once drops the deployment with the rest", canaryOnA: true, allAtOnce: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newLoopsState(10)
			st.addNodes(nodeA, nodeB)
			st.addAllocs(full)
			canaryNode := nodeB
			if tc.canaryOnA {
				canaryNode = nodeA
			}
			canary := planAlloc(canaryNode, 1000, 256)
			canary.ID = "canary"
			other := planAlloc(nodeB, 100, 64)
			plan := planOf(canary, other)()
			plan.Job = mock.Job()
			plan.Job.AllAtOnce = tc.allAtOnce
			plan.Deployment = mock.DeploymentFor(plan.Job)
			plan.Deployment.TaskGroups["web"].PlacedCanaries = []string{"canary"}
			plan.DeploymentUpdates = []*structs.DeploymentStatusUpdate{{DeploymentID: "older", Status: structs.DeploymentStatusCancelled}}

			result, err := EvaluatePlan(st, plan)
			if err != nil {
				t.Fatal(err)
			}
			if (result.Deployment != nil) != tc.wantDeploy || (len(result.DeploymentUpdates) > 0) != tc.wantDeploy {
				t.Fatalf("result deployment %v, updates %v; want them %v", result.Deployment, result.DeploymentUpdates, tc.wantDeploy)
			}
			if !tc.wantDeploy {
				return
			}
			got := result.Deployment.TaskGroups["web"].PlacedCanaries
			if len(got) != len(tc.wantCanaries) || (len(got) > 0 && got[0] != tc.wantCanaries[0]) {
				t.Fatalf("placed canaries %v, want %v", got, tc.wantCanaries)
			}
			if len(plan.Deployment.TaskGroups["web"].PlacedCanaries) != 1 {
				t.Fatal("the applier changed the worker's own plan")
			}
		})
	}
}

// A plan that only changes deployments (a newer version cancels the one
// in flight, nothing to place yet) is still committed.
func TestPlanApplier_DeploymentOnlyPlan(t *testing.T) {
	t.Parallel()
	h := &applierHarness{state: newLoopsState(100)}
	startApplier(t, h)
	plan := &structs.Plan{Job: mock.Job(), SnapshotIndex: 100}
	plan.Deployment = mock.DeploymentFor(plan.Job)
	plan.DeploymentUpdates = []*structs.DeploymentStatusUpdate{{DeploymentID: "older", Status: structs.DeploymentStatusCancelled}}
	if plan.IsNoOp() {
		t.Fatal("a plan with a deployment is not a no-op")
	}
	result, err := h.submit(t, plan).Wait()
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if result.AllocIndex == 0 || len(h.applied) != 1 || h.applied[0].Deployment == nil || len(h.applied[0].DeploymentUpdates) != 1 {
		t.Fatalf("result %+v, entries %+v; want one entry carrying the deployment and its update", result, h.applied)
	}
}
