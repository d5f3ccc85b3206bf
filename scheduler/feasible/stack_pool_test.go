package feasible

import (
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestPoolPacksNextToOtherJobs(t *testing.T) {
	cases := []struct {
		name string
		// busy nodes run another job's allocation; count is the group's.
		busy, count int
		// wantOnBusy is how many of the group's allocations must land on
		// busy nodes, each on a different one.
		wantOnBusy int
	}{
		// A sample of log2(200) = 8 random nodes misses 10 busy ones
		// among 200 two times in three; the pool finds them all.
		{name: "every allocation next to other work", busy: 10, count: 10, wantOnBusy: 10},
		// Five busy nodes for eight allocations: one each, the rest on
		// fresh nodes rather than a second one of the group on a busy node.
		{name: "more allocations than busy nodes", busy: 5, count: 8, wantOnBusy: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Count = tc.count
			var nodes []*structs.Node
			existing := fakeAllocs{}
			busy := make(map[string]bool)
			for i := range 200 {
				n := mock.Node()
				nodes = append(nodes, n)
				if i < tc.busy {
					existing[n.ID] = []*structs.Allocation{mock.AllocFor(mock.Job(), n, 0)}
					busy[n.ID] = true
				}
			}
			ctx := newTestContext(t, job, existing)
			stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
			perNode := map[string]int{}
			onBusy := 0
			for _, a := range placeAll(t, ctx, stack, job, tc.count) {
				perNode[a.NodeID]++
				if busy[a.NodeID] {
					onBusy++
				}
			}
			if onBusy != tc.wantOnBusy {
				t.Fatalf("%d allocations on busy nodes, want %d", onBusy, tc.wantOnBusy)
			}
			if len(perNode) != tc.count {
				t.Fatalf("allocations per node %v, want each on its own node", perNode)
			}
		})
	}
}

func TestPoolDropsFullNodes(t *testing.T) {
	// The busy node has room for exactly one more allocation: the first
	// placement takes it (it looks at all ten nodes for busy ones), and
	// the pool lets go of it rather than scoring it again for every later
	// placement.
	job := mock.Job()
	job.TaskGroups[0].Count = 5
	var nodes []*structs.Node
	for range 10 {
		nodes = append(nodes, mock.Node())
	}
	other := mock.AllocFor(mock.Job(), nodes[0], 0)
	other.AllocatedResources.Tasks["web"].Cpu.CpuShares = 3500
	ctx := newTestContext(t, job, fakeAllocs{nodes[0].ID: {other}})
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 3)
	allocs := placeAll(t, ctx, stack, job, 5)
	if allocs[0].NodeID != nodes[0].ID {
		t.Fatalf("first placement on %s, want the busy node", allocs[0].NodeID)
	}
	if g := stack.groups[job.TaskGroups[0].Name]; len(g.pool) != 0 {
		t.Fatalf("pool still holds %v after the busy node filled up", g.pool)
	}
}

func TestPoolStaysOutOfBusyClusters(t *testing.T) {
	// Every node runs other work: the sample alone finds busy nodes, and
	// a placement scores the sample bound, not twice as many.
	job := mock.Job()
	var nodes []*structs.Node
	existing := fakeAllocs{}
	for range 20 {
		n := mock.Node()
		nodes = append(nodes, n)
		existing[n.ID] = []*structs.Allocation{mock.AllocFor(mock.Job(), n, 0)}
	}
	ctx := newTestContext(t, job, existing)
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 4)
	_, m, err := stack.Select(job.TaskGroups[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.NodesEvaluated != 4 {
		t.Fatalf("evaluated %d nodes, want the sample bound 4", m.NodesEvaluated)
	}
}
