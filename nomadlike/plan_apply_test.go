package nomadlike

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// loopsState is a small in-memory scheduler.State for the loops' tests:
// a map per table and an index bumped by every write.
type loopsState struct {
	mu     sync.Mutex
	index  uint64
	jobs   map[string]*structs.Job
	nodes  map[string]*structs.Node
	allocs map[string]*structs.Allocation
	evals  map[string]*structs.Evaluation
}

var _ scheduler.State = (*loopsState)(nil)

func newLoopsState(index uint64) *loopsState {
	return &loopsState{
		index:  index,
		jobs:   map[string]*structs.Job{},
		nodes:  map[string]*structs.Node{},
		allocs: map[string]*structs.Allocation{},
		evals:  map[string]*structs.Evaluation{},
	}
}

func (s *loopsState) addNodes(nodes ...*structs.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range nodes {
		s.nodes[n.ID] = n
	}
}

func (s *loopsState) addAllocs(allocs ...*structs.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range allocs {
		s.allocs[a.ID] = a
	}
}

// snapshot is an immutable copy: later writes do not show through.
func (s *loopsState) snapshot() *loopsState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &loopsState{
		index:  s.index,
		jobs:   maps.Clone(s.jobs),
		nodes:  maps.Clone(s.nodes),
		allocs: maps.Clone(s.allocs),
		evals:  maps.Clone(s.evals),
	}
}

// applyPlanResults plays the FSM's part: upsert the allocations and bump
// the index.
func (s *loopsState) applyPlanResults(req *structs.ApplyPlanResultsRequest) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	for _, a := range append(slices.Clone(req.AllocsUpdated), req.AllocsStopped...) {
		c := *a
		if c.Job == nil {
			c.Job = req.Job
		}
		c.ModifyIndex = s.index
		s.allocs[c.ID] = &c
	}
	return s.index
}

func (s *loopsState) Index() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index
}

func (s *loopsState) JobByID(namespace, id string) (*structs.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs[namespace+"/"+id], nil
}

func (s *loopsState) Nodes() ([]*structs.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Values(s.nodes)), nil
}

func (s *loopsState) NodeByID(id string) (*structs.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[id], nil
}

func (s *loopsState) AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error) {
	return s.filterAllocs(func(a *structs.Allocation) bool {
		return a.Namespace == namespace && a.JobID == jobID
	}), nil
}

func (s *loopsState) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	return s.filterAllocs(func(a *structs.Allocation) bool { return a.NodeID == nodeID }), nil
}

func (s *loopsState) filterAllocs(keep func(*structs.Allocation) bool) []*structs.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*structs.Allocation
	for _, a := range s.allocs {
		if keep(a) {
			out = append(out, a)
		}
	}
	return out
}

func (s *loopsState) EvalByID(id string) (*structs.Evaluation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evals[id], nil
}

func (s *loopsState) SchedulerConfig() (*structs.SchedulerConfiguration, error) {
	return structs.DefaultSchedulerConfig(), nil
}

// planNode is a mock node with a readable ID.
func planNode(id string, mutate ...func(*structs.Node)) *structs.Node {
	n := mock.Node()
	n.ID = id
	for _, m := range mutate {
		m(n)
	}
	return n
}

// planAlloc is an allocation of cpu MHz and memMB on node, with host ports.
func planAlloc(node *structs.Node, cpu, memMB int64, ports ...int) *structs.Allocation {
	a := mock.AllocFor(mock.Job(), node, 0)
	for _, tr := range a.AllocatedResources.Tasks {
		tr.Cpu.CpuShares = cpu
		tr.Memory.MemoryMB = memMB
	}
	for _, p := range ports {
		a.AllocatedResources.Shared.Ports = append(a.AllocatedResources.Shared.Ports,
			structs.PortMapping{Label: "http", Value: p})
	}
	return a
}

func TestEvaluatePlan(t *testing.T) {
	t.Parallel()
	nodeA, nodeB := planNode("A"), planNode("B")
	full := planAlloc(nodeA, 3500, 256) // 500 MHz left on A
	withPort := planAlloc(nodeA, 100, 64, 8080)

	tests := []struct {
		name        string
		nodes       []*structs.Node
		existing    []*structs.Allocation
		plan        func() *structs.Plan
		wantPlaced  []string // nodes whose placements are committed
		wantStopped []string // nodes whose stops are committed
		wantRefresh bool
	}{
		{
			name: "fits", nodes: []*structs.Node{nodeA},
			plan:       planOf(planAlloc(nodeA, 1000, 256), planAlloc(nodeA, 1000, 256)),
			wantPlaced: []string{"A"},
		},
		{
			name: "over-committed node rejected, the rest applied", nodes: []*structs.Node{nodeA, nodeB},
			existing:   []*structs.Allocation{full},
			plan:       planOf(planAlloc(nodeA, 1000, 256), planAlloc(nodeB, 1000, 256)),
			wantPlaced: []string{"B"}, wantRefresh: true,
		},
		{
			name: "memory exhausted", nodes: []*structs.Node{nodeA},
			plan:        planOf(planAlloc(nodeA, 100, 9000)),
			wantRefresh: true,
		},
		{
			name: "stopping an allocation frees its room", nodes: []*structs.Node{nodeA},
			existing: []*structs.Allocation{full},
			plan: func() *structs.Plan {
				p := planOf(planAlloc(nodeA, 3500, 256))()
				p.AppendStoppedAlloc(full, "replaced")
				return p
			},
			wantPlaced: []string{"A"}, wantStopped: []string{"A"},
		},
		{
			name: "in-place update counted once", nodes: []*structs.Node{nodeA},
			existing: []*structs.Allocation{full},
			plan: func() *structs.Plan {
				updated := *full
				updated.AllocatedResources = planAlloc(nodeA, 4000, 256).AllocatedResources
				return planOf(&updated)()
			},
			wantPlaced: []string{"A"},
		},
		{
			name: "terminal allocations hold nothing", nodes: []*structs.Node{nodeA},
			existing: []*structs.Allocation{withClientStatus(full, structs.AllocClientStatusComplete)},
			plan:     planOf(planAlloc(nodeA, 3000, 256)), wantPlaced: []string{"A"},
		},
		{
			name: "reserved resources are not offered",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.ReservedResources.Cpu.CpuShares = 3500
			})},
			plan:        planOf(planAlloc(nodeA, 1000, 256)),
			wantRefresh: true,
		},
		{
			name: "port collision with an existing allocation", nodes: []*structs.Node{nodeA},
			existing:    []*structs.Allocation{withPort},
			plan:        planOf(planAlloc(nodeA, 100, 64, 8080)),
			wantRefresh: true,
		},
		{
			name: "port collision within the plan", nodes: []*structs.Node{nodeA},
			plan:        planOf(planAlloc(nodeA, 100, 64, 9000), planAlloc(nodeA, 100, 64, 9000)),
			wantRefresh: true,
		},
		{
			name: "a port listed twice in one allocation is one port", nodes: []*structs.Node{nodeA},
			plan: func() *structs.Plan {
				a := planAlloc(nodeA, 100, 64, 20500)
				a.AllocatedResources.Shared.Networks = []*structs.NetworkResource{{
					DynamicPorts: []structs.Port{{Label: "http", Value: 20500}},
				}}
				return planOf(a)()
			},
			wantPlaced: []string{"A"},
		},
		{
			name: "port reserved on the node",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.ReservedResources.Networks.ReservedHostPorts = "22, 8000-8010"
			})},
			plan:        planOf(planAlloc(nodeA, 100, 64, 8005)),
			wantRefresh: true,
		},
		{
			name: "a core held by an existing allocation", nodes: []*structs.Node{nodeA},
			existing:    []*structs.Allocation{withCores(planAlloc(nodeA, 1000, 64), 1)},
			plan:        planOf(withCores(planAlloc(nodeA, 1000, 64), 1)),
			wantRefresh: true,
		},
		{
			name: "a core taken twice within the plan", nodes: []*structs.Node{nodeA},
			plan:        planOf(withCores(planAlloc(nodeA, 1000, 64), 0, 2), withCores(planAlloc(nodeA, 1000, 64), 2)),
			wantRefresh: true,
		},
		{
			name: "distinct cores fit", nodes: []*structs.Node{nodeA},
			existing:   []*structs.Allocation{withCores(planAlloc(nodeA, 1000, 64), 1)},
			plan:       planOf(withCores(planAlloc(nodeA, 2000, 64), 0, 2), withCores(planAlloc(nodeA, 1000, 64), 3)),
			wantPlaced: []string{"A"},
		},
		{
			name: "a core the node cannot reserve",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.NodeResources.Cpu.ReservableCpuCores = []uint16{1, 2, 3}
			})},
			plan:        planOf(withCores(planAlloc(nodeA, 1000, 64), 0)),
			wantRefresh: true,
		},
		{
			name: "down node rejects placements",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.Status = structs.NodeStatusDown
			})},
			plan:        planOf(planAlloc(nodeA, 100, 64)),
			wantRefresh: true,
		},
		{
			name: "down node accepts stops",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.Status = structs.NodeStatusDown
			}), nodeB},
			existing: []*structs.Allocation{full},
			plan: func() *structs.Plan {
				p := planOf(planAlloc(nodeB, 3500, 256))()
				p.AppendStoppedAlloc(full, "node down")
				return p
			},
			wantPlaced: []string{"B"}, wantStopped: []string{"A"},
		},
		{
			name: "down node accepts follow-up links on its failed allocations",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.Status = structs.NodeStatusDown
			})},
			existing: []*structs.Allocation{withClientStatus(full, structs.AllocClientStatusFailed)},
			plan: func() *structs.Plan {
				linked := *withClientStatus(full, structs.AllocClientStatusFailed)
				linked.FollowupEvalID = "eval-later"
				return planOf(&linked)()
			},
			wantPlaced: []string{"A"},
		},
		{
			name:  "stops on a node that is gone are accepted",
			nodes: []*structs.Node{}, existing: []*structs.Allocation{full},
			plan: func() *structs.Plan {
				p := &structs.Plan{}
				p.AppendStoppedAlloc(full, "node gone")
				return p
			},
			wantStopped: []string{"A"},
		},
		{
			name: "draining node rejects new allocations",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.Drain = true
			})},
			plan:        planOf(planAlloc(nodeA, 100, 64)),
			wantRefresh: true,
		},
		{
			name: "ineligible node rejects new allocations",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.SchedulingEligibility = structs.NodeSchedulingIneligible
			})},
			plan:        planOf(planAlloc(nodeA, 100, 64)),
			wantRefresh: true,
		},
		{
			name: "ineligible node accepts in-place updates",
			nodes: []*structs.Node{planNode("A", func(n *structs.Node) {
				n.SchedulingEligibility = structs.NodeSchedulingIneligible
			})},
			existing: []*structs.Allocation{full},
			plan: func() *structs.Plan {
				updated := *full
				return planOf(&updated)()
			},
			wantPlaced: []string{"A"},
		},
		{
			name: "missing node rejected", nodes: []*structs.Node{nodeB},
			plan:        planOf(planAlloc(nodeA, 100, 64), planAlloc(nodeB, 100, 64)),
			wantPlaced:  []string{"B"},
			wantRefresh: true,
		},
		{
			name: "all-at-once job commits all or nothing", nodes: []*structs.Node{nodeA, nodeB},
			existing: []*structs.Allocation{full},
			plan: func() *structs.Plan {
				p := planOf(planAlloc(nodeA, 1000, 256), planAlloc(nodeB, 1000, 256))()
				p.Job = mock.Job()
				p.Job.AllAtOnce = true
				return p
			},
			wantRefresh: true,
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
			if got := sortedNodeIDs(result.NodeUpdate); !slices.Equal(got, sortedStrings(tc.wantStopped)) {
				t.Errorf("stops committed on %v, want %v", got, tc.wantStopped)
			}
			wantRefresh := uint64(0)
			if tc.wantRefresh {
				wantRefresh = 100
			}
			if result.RefreshIndex != wantRefresh {
				t.Errorf("refresh index = %d, want %d", result.RefreshIndex, wantRefresh)
			}
		})
	}
}

func planOf(allocs ...*structs.Allocation) func() *structs.Plan {
	return func() *structs.Plan {
		p := &structs.Plan{Priority: structs.JobDefaultPriority}
		for _, a := range allocs {
			p.AppendAlloc(a)
		}
		return p
	}
}

// withCores gives every task of a the reserved cores; the CPU shares the
// cores cost are the caller's to set.
func withCores(a *structs.Allocation, cores ...uint16) *structs.Allocation {
	for _, tr := range a.AllocatedResources.Tasks {
		tr.Cpu.ReservedCores = cores
	}
	return a
}

func withClientStatus(a *structs.Allocation, status string) *structs.Allocation {
	c := *a
	c.ClientStatus = status
	return &c
}

func sortedNodeIDs(m map[string][]*structs.Allocation) []string {
	return sortedStrings(slices.Collect(maps.Keys(m)))
}

func sortedStrings(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func TestParsePortRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		in, out []int
		wantErr bool
	}{
		{spec: "", out: []int{22}},
		{spec: "22", in: []int{22}, out: []int{21, 23}},
		{spec: "22, 8000-8002", in: []int{22, 8000, 8002}, out: []int{7999, 8003}},
		{spec: "80-", wantErr: true},
		{spec: "9-3", wantErr: true},
		{spec: "http", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			r, err := parsePortRanges(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			for _, p := range tc.in {
				if !r.contains(p) {
					t.Errorf("%d not in %q", p, tc.spec)
				}
			}
			for _, p := range tc.out {
				if r.contains(p) {
					t.Errorf("%d in %q", p, tc.spec)
				}
			}
		})
	}
}

// applierHarness runs a PlanApplier over a loopsState, recording the
// minimum index of every snapshot it asks for.
type applierHarness struct {
	state    *loopsState
	queue    *PlanQueue
	applyErr error

	mu         sync.Mutex
	minIndexes []uint64
	applied    []*structs.ApplyPlanResultsRequest
}

func startApplier(t *testing.T, h *applierHarness) {
	t.Helper()
	h.queue = newTestPlanQueue(t)
	snapshot := func(minIndex uint64) (scheduler.State, error) {
		h.mu.Lock()
		h.minIndexes = append(h.minIndexes, minIndex)
		h.mu.Unlock()
		return h.state.snapshot(), nil
	}
	apply := func(req *structs.ApplyPlanResultsRequest) (uint64, error) {
		if h.applyErr != nil {
			return 0, h.applyErr
		}
		h.mu.Lock()
		h.applied = append(h.applied, req)
		h.mu.Unlock()
		return h.state.applyPlanResults(req), nil
	}
	a := NewPlanApplier(h.queue, snapshot, apply, loopsTestLogger(t))
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		a.Run(stop)
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
}

func (h *applierHarness) submit(t *testing.T, plan *structs.Plan) PlanFuture {
	t.Helper()
	f, err := h.queue.Enqueue(plan)
	if err != nil {
		t.Fatalf("enqueue plan: %v", err)
	}
	return f
}

func TestPlanApplier_SecondPlanSeesFirst(t *testing.T) {
	t.Parallel()
	node := planNode("A")
	h := &applierHarness{state: newLoopsState(100)}
	h.state.addNodes(node)
	startApplier(t, h)

	// Two workers planned against the same snapshot; together they would
	// over-commit the node.
	first := planOf(planAlloc(node, 3000, 256))()
	first.SnapshotIndex = 100
	first.Job = mock.Job()
	second := planOf(planAlloc(node, 2000, 256))()
	second.SnapshotIndex = 100
	f1, f2 := h.submit(t, first), h.submit(t, second)

	r1, err := f1.Wait()
	if err != nil {
		t.Fatalf("first plan: %v", err)
	}
	if full, _, _ := r1.FullCommit(first); !full || r1.AllocIndex != 101 || r1.RefreshIndex != 0 {
		t.Fatalf("first plan result = %+v, want a full commit at index 101", r1)
	}
	r2, err := f2.Wait()
	if err != nil {
		t.Fatalf("second plan: %v", err)
	}
	if len(r2.NodeAllocation) != 0 || r2.RefreshIndex != 101 || r2.AllocIndex != 0 {
		t.Fatalf("second plan result = %+v, want nothing committed and a refresh at 101", r2)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Equal(h.minIndexes, []uint64{100, 101}) {
		t.Fatalf("snapshot min indexes = %v, want [100 101]: the second plan must see the first", h.minIndexes)
	}
	if len(h.applied) != 1 || h.applied[0].Job != first.Job || h.applied[0].AllocsUpdated[0].Job != nil {
		t.Fatalf("raft entries = %+v, want one carrying the job once", h.applied)
	}
	if first.NodeAllocation["A"][0].Job == nil {
		t.Fatal("the applier stripped the job from the worker's own plan")
	}
}

func TestPlanApplier_CommitError(t *testing.T) {
	t.Parallel()
	node := planNode("A")
	h := &applierHarness{state: newLoopsState(7), applyErr: errors.New("raft: leadership lost")}
	h.state.addNodes(node)
	startApplier(t, h)

	_, err := h.submit(t, planOf(planAlloc(node, 100, 64))()).Wait()
	if err == nil || !errors.Is(err, h.applyErr) {
		t.Fatalf("err = %v, want the raft error wrapped", err)
	}
}

func TestPlanApplier_StopsOnStopCh(t *testing.T) {
	t.Parallel()
	q := NewPlanQueue() // disabled: Run must still notice the stop
	a := NewPlanApplier(q, nil, nil, loopsTestLogger(t))
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		a.Run(stop)
	}()
	close(stop)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after stop")
	}
}

// BenchmarkEvaluatePlan checks a count-200 placement spread over 10 nodes
// that already run 20 allocations each.
func BenchmarkEvaluatePlan(b *testing.B) {
	st := newLoopsState(100)
	var nodes []*structs.Node
	for i := 0; i < 10; i++ {
		n := planNode(fmt.Sprintf("node-%d", i))
		n.NodeResources.Cpu.CpuShares = 100_000
		n.NodeResources.Memory.MemoryMB = 100_000
		nodes = append(nodes, n)
		st.addNodes(n)
		for j := 0; j < 20; j++ {
			st.addAllocs(planAlloc(n, 100, 64, 20000+j))
		}
	}
	plan := &structs.Plan{}
	for i := 0; i < 200; i++ {
		plan.AppendAlloc(planAlloc(nodes[i%10], 100, 64, 21000+i))
	}
	b.ResetTimer()
	for b.Loop() {
		result, err := EvaluatePlan(st, plan)
		if err != nil || result.RefreshIndex != 0 {
			b.Fatalf("evaluate: %v, refresh %d", err, result.RefreshIndex)
		}
	}
}
