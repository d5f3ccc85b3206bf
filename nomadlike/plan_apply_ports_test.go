package nomadlike

import (
	"slices"
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// withNetworkPorts adds a group network to a with the given static and
// dynamic host ports, as the scheduler grants them.
func withNetworkPorts(a *structs.Allocation, static []int, dynamic []int) *structs.Allocation {
	n := &structs.NetworkResource{}
	for _, p := range static {
		n.ReservedPorts = append(n.ReservedPorts, structs.Port{Label: "s", Value: p})
	}
	for _, p := range dynamic {
		n.DynamicPorts = append(n.DynamicPorts, structs.Port{Label: "d", Value: p})
	}
	a.AllocatedResources.Shared.Networks = append(a.AllocatedResources.Shared.Networks, n)
	return a
}

// withTaskPort gives a's task a network holding one static host port.
func withTaskPort(a *structs.Allocation, port int) *structs.Allocation {
	for _, tr := range a.AllocatedResources.Tasks {
		tr.Networks = append(tr.Networks, &structs.NetworkResource{ReservedPorts: []structs.Port{{Label: "t", Value: port}}})
	}
	return a
}

func TestEvaluatePlanPorts(t *testing.T) {
	t.Parallel()
	narrow := func(n *structs.Node) { n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 30000, 30002 }
	nodeA, nodeB := planNode("A"), planNode("B")
	narrowA := planNode("A", narrow)
	existing := planAlloc(nodeA, 100, 64, 8080)
	// Placed before the operator reserved 8080 and narrowed the range.
	before := withNetworkPorts(planAlloc(nodeA, 100, 64), []int{8080}, []int{25000})
	laterReserved := planNode("A", narrow, func(n *structs.Node) { n.ReservedResources.Networks.ReservedHostPorts = "8080" })

	tests := []struct {
		name       string
		nodes      []*structs.Node
		existing   []*structs.Allocation
		plan       func() *structs.Plan
		wantPlaced []string
		wantReason string // the reason node A was refused, when it was
	}{
		{
			name: "task network port collides with a shared port", nodes: []*structs.Node{nodeA},
			existing:   []*structs.Allocation{existing},
			plan:       planOf(withTaskPort(planAlloc(nodeA, 100, 64), 8080)),
			wantReason: "port 8080 collides between allocations",
		},
		{
			name: "two groups of one plan ask for one static port", nodes: []*structs.Node{nodeA},
			plan: func() *structs.Plan {
				a, b := withNetworkPorts(planAlloc(nodeA, 100, 64), []int{9000}, nil), withNetworkPorts(planAlloc(nodeA, 100, 64), []int{9000}, nil)
				b.TaskGroup = "other"
				return planOf(a, b)()
			},
			wantReason: "port 9000 collides between allocations",
		},
		{
			name: "a dynamic port of one allocation is another's static port", nodes: []*structs.Node{nodeA},
			existing:   []*structs.Allocation{withNetworkPorts(planAlloc(nodeA, 100, 64), []int{20001}, nil)},
			plan:       planOf(withNetworkPorts(planAlloc(nodeA, 100, 64), nil, []int{20001})),
			wantReason: "port 20001 collides between allocations",
		},
		{
			name: "one port on two nodes", nodes: []*structs.Node{nodeA, nodeB},
			plan:       planOf(withNetworkPorts(planAlloc(nodeA, 100, 64), []int{9000}, nil), withNetworkPorts(planAlloc(nodeB, 100, 64), []int{9000}, nil)),
			wantPlaced: []string{"A", "B"},
		},
		{
			name: "dynamic port outside the node's range", nodes: []*structs.Node{narrowA},
			plan:       planOf(withNetworkPorts(planAlloc(narrowA, 100, 64), nil, []int{30003})),
			wantReason: "dynamic port d=30003 of allocation",
		},
		{
			name: "dynamic port inside the node's range", nodes: []*structs.Node{narrowA},
			plan:       planOf(withNetworkPorts(planAlloc(narrowA, 100, 64), nil, []int{30000, 30002})),
			wantPlaced: []string{"A"},
		},
		{
			name: "static port outside the dynamic range is fine", nodes: []*structs.Node{narrowA},
			plan:       planOf(withNetworkPorts(planAlloc(narrowA, 100, 64), []int{443}, nil)),
			wantPlaced: []string{"A"},
		},
		{
			name:       "new allocation on a reserved port",
			nodes:      []*structs.Node{laterReserved},
			plan:       planOf(withTaskPort(planAlloc(laterReserved, 100, 64), 8080)),
			wantReason: "port 8080 of allocation",
		},
		{
			name:  "an allocation placed before the node's config changed does not block others",
			nodes: []*structs.Node{laterReserved}, existing: []*structs.Allocation{before},
			plan:       planOf(withNetworkPorts(planAlloc(laterReserved, 100, 64), nil, []int{30001})),
			wantPlaced: []string{"A"},
		},
		{
			name:  "an allocation placed before the node's config changed can be updated in place",
			nodes: []*structs.Node{laterReserved}, existing: []*structs.Allocation{before},
			plan: func() *structs.Plan {
				updated := *before
				updated.EvalID = "next"
				return planOf(&updated)()
			},
			wantPlaced: []string{"A"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := newLoopsState(100)
			state.addNodes(tc.nodes...)
			state.addAllocs(tc.existing...)
			result, rejected, err := evaluatePlan(state.snapshot(), tc.plan())
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedNodeIDs(result.NodeAllocation); !slices.Equal(got, tc.wantPlaced) {
				t.Errorf("placements committed on %v, want %v (rejected: %v)", got, tc.wantPlaced, rejected)
			}
			if tc.wantReason == "" {
				if len(rejected) > 0 {
					t.Errorf("rejected %v", rejected)
				}
				return
			}
			if !strings.Contains(rejected["A"], tc.wantReason) || result.RefreshIndex != 100 {
				t.Errorf("node A refused for %q (refresh %d), want %q", rejected["A"], result.RefreshIndex, tc.wantReason)
			}
		})
	}
}

// applyingPlanner submits plans as a worker does: the applier checks each
// against the newest state, commits what fits, and hands back a fresh
// snapshot when it refused part of it.
type applyingPlanner struct {
	state   *loopsState
	plans   int
	refused map[string]string
	last    *structs.Evaluation
}

func (p *applyingPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	p.plans++
	result, rejected, err := evaluatePlan(p.state.snapshot(), plan)
	if err != nil {
		return nil, nil, err
	}
	for id, reason := range rejected {
		p.refused[id] = reason
	}
	req, err := applyRequest(p.state.snapshot(), plan, result)
	if err != nil {
		return nil, nil, err
	}
	result.AllocIndex = p.state.applyPlanResults(req)
	if len(rejected) > 0 {
		return result, p.state.snapshot(), nil
	}
	return result, nil, nil
}

func (p *applyingPlanner) UpdateEval(e *structs.Evaluation) error { p.last = e; return nil }
func (p *applyingPlanner) CreateEval(*structs.Evaluation) error   { return nil }

// Two schedulers plan against the same snapshot of a node with a single
// dynamic port: both choose it. The applier commits the first plan and
// refuses the second, whose scheduler then plans again from the new state
// and reports the exhausted dimension instead of double-booking the port.
func TestRacingSchedulersNeverShareAPort(t *testing.T) {
	t.Parallel()
	state := newLoopsState(10)
	node := planNode("A", func(n *structs.Node) { n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 31000, 31000 })
	state.addNodes(node)
	jobs := []*structs.Job{mock.Job(), mock.Job()}
	for _, j := range jobs {
		j.TaskGroups[0].Count = 1
		j.TaskGroups[0].Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http"}}}}
		state.jobs[j.Namespace+"/"+j.ID] = j
	}
	stale := state.snapshot()
	planners := []*applyingPlanner{{state: state, refused: map[string]string{}}, {state: state, refused: map[string]string{}}}
	for i, j := range jobs {
		sched, err := scheduler.NewScheduler(j.Type, scheduler.Config{State: stale, Planner: planners[i]})
		if err != nil {
			t.Fatal(err)
		}
		if err := sched.Process(mock.EvalFor(j)); err != nil {
			t.Fatal(err)
		}
	}
	if len(planners[0].refused) != 0 {
		t.Fatalf("first plan refused: %v", planners[0].refused)
	}
	if !strings.Contains(planners[1].refused["A"], "port 31000 collides") {
		t.Fatalf("second plan refused for %v, want the port collision", planners[1].refused)
	}
	holders := 0
	for _, a := range state.allocs {
		if !a.TerminalStatus() {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("%d allocations hold the node's only dynamic port", holders)
	}
	m := planners[1].last.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted["network: dynamic port selection failed"] != 1 {
		t.Fatalf("second evaluation's failure %+v, want the dynamic port dimension exhausted", m)
	}
}
