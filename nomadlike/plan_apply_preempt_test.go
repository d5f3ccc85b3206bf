package nomadlike

import (
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// withJob makes a run an allocation of job.
func withJob(a *structs.Allocation, job *structs.Job) *structs.Allocation {
	a.Job, a.JobID, a.Namespace = job, job.ID, job.Namespace
	return a
}

// preemptingPlan places placed and evicts victims for it.
func preemptingPlan(placed *structs.Allocation, victims ...*structs.Allocation) func() *structs.Plan {
	return func() *structs.Plan {
		p := planOf(placed)()
		for _, v := range victims {
			p.AppendPreemptedAlloc(v, placed.ID)
			placed.PreemptedAllocations = append(placed.PreemptedAllocations, v.ID)
		}
		return p
	}
}

func TestEvaluatePlan_Preemptions(t *testing.T) {
	t.Parallel()
	nodeA, nodeB := planNode("A"), planNode("B")
	full := planAlloc(nodeA, 3500, 256)
	withPort := planAlloc(nodeA, 100, 64, 8080)
	tests := []struct {
		name        string
		nodes       []*structs.Node
		existing    []*structs.Allocation
		plan        func() *structs.Plan
		wantPlaced  []string
		wantEvicted []string
		wantRefresh bool
	}{
		{
			name: "the eviction makes room", nodes: []*structs.Node{nodeA}, existing: []*structs.Allocation{full},
			plan:       preemptingPlan(planAlloc(nodeA, 1000, 256), full),
			wantPlaced: []string{"A"}, wantEvicted: []string{"A"},
		},
		{
			name: "without the eviction the node is over-committed", nodes: []*structs.Node{nodeA},
			existing:    []*structs.Allocation{full},
			plan:        planOf(planAlloc(nodeA, 1000, 256)),
			wantRefresh: true,
		},
		{
			name: "an eviction too small rejects the node and is not committed", nodes: []*structs.Node{nodeA},
			existing:    []*structs.Allocation{full, withPort},
			plan:        preemptingPlan(planAlloc(nodeA, 3900, 256), withPort),
			wantRefresh: true,
		},
		{
			name: "evictions of a rejected node are dropped with it",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.SchedulingEligibility = structs.NodeSchedulingIneligible
			}), nodeB},
			existing: []*structs.Allocation{full},
			plan: func() *structs.Plan {
				p := preemptingPlan(planAlloc(nodeA, 1000, 256), full)()
				p.AppendAlloc(planAlloc(nodeB, 1000, 256))
				return p
			},
			wantPlaced: []string{"B"}, wantRefresh: true,
		},
		{
			name: "the eviction frees a static port", nodes: []*structs.Node{nodeA},
			existing:   []*structs.Allocation{withPort},
			plan:       preemptingPlan(planAlloc(nodeA, 100, 64, 8080), withPort),
			wantPlaced: []string{"A"}, wantEvicted: []string{"A"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newLoopsState(100)
			st.addNodes(tc.nodes...)
			st.addAllocs(tc.existing...)
			result, err := EvaluatePlan(st, tc.plan())
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			if got := sortedNodeIDs(result.NodeAllocation); !slices.Equal(got, sortedStrings(tc.wantPlaced)) {
				t.Errorf("placements committed on %v, want %v", got, tc.wantPlaced)
			}
			if got := sortedNodeIDs(result.NodePreemptions); !slices.Equal(got, sortedStrings(tc.wantEvicted)) {
				t.Errorf("evictions committed on %v, want %v", got, tc.wantEvicted)
			}
			if (result.RefreshIndex != 0) != tc.wantRefresh {
				t.Errorf("refresh index = %d, want a refresh: %v", result.RefreshIndex, tc.wantRefresh)
			}
		})
	}
}

// TestPlanApplier_PreemptionEvals commits a plan evicting allocations of
// two live jobs, one of a stopped job and one already stopped: the Raft
// entry carries the live evictions and one preemption evaluation per live
// job.
func TestPlanApplier_PreemptionEvals(t *testing.T) {
	t.Parallel()
	node := planNode("A")
	h := &applierHarness{state: newLoopsState(100)}
	h.state.addNodes(node)
	low, batch, stopped := mock.Job(), mock.BatchJob(), mock.Job()
	low.Priority, batch.Priority, stopped.Stop = 20, 30, true
	for _, j := range []*structs.Job{low, batch, stopped} {
		h.state.jobs[j.Namespace+"/"+j.ID] = j
	}
	v1 := withJob(planAlloc(node, 1000, 64), low)
	v2 := withJob(planAlloc(node, 1000, 64), low)
	v3 := withJob(planAlloc(node, 1000, 64), batch)
	v4 := withJob(planAlloc(node, 500, 64), stopped)
	gone := withClientStatus(withJob(planAlloc(node, 500, 64), batch), structs.AllocClientStatusComplete)
	gone.DesiredStatus = structs.AllocDesiredStatusStop
	h.state.addAllocs(v1, v2, v3, v4, gone)
	startApplier(t, h)

	placed := planAlloc(node, 3500, 64)
	plan := preemptingPlan(placed, v1, v2, v3, v4, gone)()
	plan.Job = mock.Job()
	plan.Job.Priority = 90
	result, err := h.submit(t, plan).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if full, _, _ := result.FullCommit(plan); !full {
		t.Fatalf("result %+v, want a full commit", result)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.applied) != 1 {
		t.Fatalf("%d raft entries, want 1", len(h.applied))
	}
	req := h.applied[0]
	var evicted []string
	for _, a := range req.NodePreemptions {
		if a.DesiredStatus != structs.AllocDesiredStatusEvict || a.PreemptedByAllocation != placed.ID || a.Job != nil {
			t.Fatalf("eviction %+v, want desired evict by %s without its job", a, placed.ID)
		}
		evicted = append(evicted, a.ID)
	}
	if want := sortedStrings([]string{v1.ID, v2.ID, v3.ID, v4.ID}); !slices.Equal(sortedStrings(evicted), want) {
		t.Fatalf("evicted %v, want the four live allocations %v", evicted, want)
	}
	byJob := map[string]*structs.Evaluation{}
	for _, e := range req.PreemptionEvals {
		byJob[e.JobID] = e
	}
	if len(req.PreemptionEvals) != 2 || byJob[low.ID] == nil || byJob[batch.ID] == nil {
		t.Fatalf("preemption evals %+v, want one each for %s and %s", req.PreemptionEvals, low.ID, batch.ID)
	}
	for job, want := range map[string]*structs.Job{low.ID: low, batch.ID: batch} {
		e := byJob[job]
		if e.TriggeredBy != structs.EvalTriggerPreemption || e.Status != structs.EvalStatusPending ||
			e.Priority != want.Priority || e.Type != want.Type || e.ID == "" || e.CreateTime > time.Now().UnixNano() {
			t.Fatalf("eval %+v, want a pending preemption eval of %s at its priority and type", e, job)
		}
	}
}
