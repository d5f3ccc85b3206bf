package feasible

import (
	"fmt"
	"math"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// rackNodes returns n nodes with meta.rack = r<i mod racks> and dc in
// alternating dc1/dc2, all in the mock job's datacenter list.
func rackNodes(n, racks int) []*structs.Node {
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		nodes[i] = mock.Node()
		nodes[i].Meta = map[string]string{"rack": fmt.Sprintf("r%d", i%racks)}
		nodes[i].Datacenter = fmt.Sprintf("dc%d", i%2+1)
	}
	return nodes
}

func TestAffinityScorer(t *testing.T) {
	node := mock.Node()
	node.Meta = map[string]string{"rack": "r1", "ssd": "true"}
	cases := []struct {
		name       string
		affinities []*structs.Affinity
		want       float64
		none       bool
	}{
		{name: "no affinity", none: true},
		{name: "zero weight ignored", affinities: []*structs.Affinity{
			{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 0},
		}, none: true},
		{name: "one match", affinities: []*structs.Affinity{
			{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 40},
		}, want: 1},
		{name: "one miss", affinities: []*structs.Affinity{
			{LTarget: "${meta.rack}", Operand: "=", RTarget: "r2", Weight: 40},
		}, want: 0},
		{name: "negative match", affinities: []*structs.Affinity{
			{LTarget: "${meta.ssd}", Operand: "=", RTarget: "true", Weight: -100},
		}, want: -1},
		{name: "mixed normalised by total magnitude", affinities: []*structs.Affinity{
			{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 50},
			{LTarget: "${meta.ssd}", Operand: "is_set", Weight: -25},
			{LTarget: "${node.datacenter}", Operand: "=", RTarget: "elsewhere", Weight: 25},
		}, want: 25.0 / 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.Affinities = tc.affinities
			ctx := newTestContext(t, job, nil)
			a := NewAffinityScorer(ctx, job, job.TaskGroups[0], 1)
			if tc.none {
				if a != nil {
					t.Fatalf("scorer built for no effective affinity")
				}
				return
			}
			if got := a.Score(0, node); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("score = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAffinityScorerCombinesLevels(t *testing.T) {
	node := mock.Node()
	job := mock.Job()
	job.Affinities = []*structs.Affinity{{LTarget: "${node.datacenter}", Operand: "=", RTarget: "dc1", Weight: 30}}
	job.TaskGroups[0].Affinities = []*structs.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "other", Weight: 30}}
	job.TaskGroups[0].Tasks[0].Affinities = []*structs.Affinity{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux", Weight: 40}}
	a := NewAffinityScorer(newTestContext(t, job, nil), job, job.TaskGroups[0], 1)
	if got, want := a.Score(0, node), 0.7; math.Abs(got-want) > 1e-9 {
		t.Fatalf("score = %v, want %v", got, want)
	}
}

// TestSpreadScorer scores one node per rack against existing allocations
// of the group: 4 in r0, 1 in r1, none in r2.
func TestSpreadScorer(t *testing.T) {
	nodes := rackNodes(4, 4)
	nodes[3].Meta = nil
	cases := []struct {
		name    string
		targets []*structs.SpreadTarget
		// want is the score of nodes[0..3] (r0, r1, r2, no rack).
		want [4]float64
	}{
		// Even over r0, r1, r2 (the 3 values seen): ideal (5+1)/3 = 2.
		{name: "even", want: [4]float64{-1, 0.5, 1, -1}},
		// Goals of count 10: r0 5, r1 5; r2 has no share left.
		{name: "targets summing to 100", targets: []*structs.SpreadTarget{
			{Value: "r0", Percent: 50}, {Value: "r1", Percent: 50},
		}, want: [4]float64{0.2, 0.8, -1, -1}},
		// r0 goal 2 (over-used: 4), untargeted r1+r2 share 80% = 8 with 1 used.
		{name: "rest shared by untargeted values", targets: []*structs.SpreadTarget{
			{Value: "r0", Percent: 20},
		}, want: [4]float64{-1, 7.0 / 8, 7.0 / 8, -1}},
		{name: "zero percent avoids the value", targets: []*structs.SpreadTarget{
			{Value: "r2", Percent: 0}, {Value: "r1", Percent: 100},
		}, want: [4]float64{-1, 0.9, -1, -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Count = 10
			job.TaskGroups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 50, SpreadTarget: tc.targets}}
			var allocs []*structs.Allocation
			for i, onRack := range []int{0, 0, 0, 0, 1} {
				allocs = append(allocs, mock.AllocFor(job, nodes[onRack], i))
			}
			// Another group's and a stopped allocation do not count.
			other := mock.AllocFor(job, nodes[1], 9)
			other.TaskGroup = "other"
			done := mock.AllocFor(job, nodes[1], 8)
			done.ClientStatus = structs.AllocClientStatusComplete
			ctx := newTestContext(t, job, newFakeState(nodes, append(allocs, other, done)...))
			s := NewSpreadScorer(ctx, job, job.TaskGroups[0])
			// Score every node once so the even spread has seen all racks.
			for _, n := range nodes {
				if _, err := s.Score(n); err != nil {
					t.Fatal(err)
				}
			}
			for i, n := range nodes {
				got, err := s.Score(n)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-tc.want[i]) > 1e-9 {
					t.Errorf("node %d (rack %q): score %v, want %v", i, n.Meta["rack"], got, tc.want[i])
				}
			}
		})
	}
}

// TestStackSpreadPlacements places whole groups through the stack and
// checks the distribution the spread asks for emerges, plan placements
// included.
func TestStackSpreadPlacements(t *testing.T) {
	cases := []struct {
		name    string
		count   int
		targets []*structs.SpreadTarget
		// want is the exact count per rack, or nil for even within 2: the
		// bin-pack term may outweigh a one-allocation imbalance, since the
		// spread is a score, not a constraint.
		want map[string]int
	}{
		{name: "even over 5 racks", count: 40},
		{name: "targets 60/30/10", count: 20, targets: []*structs.SpreadTarget{
			{Value: "r0", Percent: 60}, {Value: "r1", Percent: 30}, {Value: "r2", Percent: 10},
		}, want: map[string]int{"r0": 12, "r1": 6, "r2": 2}},
		{name: "one target, rest elsewhere", count: 10, targets: []*structs.SpreadTarget{
			{Value: "r4", Percent: 50},
		}, want: map[string]int{"r4": 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := rackNodes(100, 5)
			job := mock.Job()
			job.Datacenters = []string{"dc1", "dc2"}
			tg := job.TaskGroups[0]
			tg.Count = tc.count
			tg.Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100, SpreadTarget: tc.targets}}
			ctx := newTestContext(t, job, newFakeState(nodes))
			stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
			rackOf := make(map[string]string, len(nodes))
			for _, n := range nodes {
				rackOf[n.ID] = n.Meta["rack"]
			}
			perRack := map[string]int{}
			for _, a := range placeAll(t, ctx, stack, job, tc.count) {
				perRack[rackOf[a.NodeID]]++
			}
			if tc.want == nil {
				lo, hi := tc.count, 0
				for r := range 5 {
					n := perRack[fmt.Sprintf("r%d", r)]
					lo, hi = min(lo, n), max(hi, n)
				}
				if hi-lo > 2 {
					t.Fatalf("per rack %v: max − min = %d, want at most 2", perRack, hi-lo)
				}
				return
			}
			for rack, n := range tc.want {
				if perRack[rack] != n {
					t.Fatalf("per rack %v: %s has %d, want %d", perRack, rack, perRack[rack], n)
				}
			}
		})
	}
}

func TestStackAffinityPlacements(t *testing.T) {
	cases := []struct {
		name   string
		weight int8
		// wantDC1 is how many of the 10 placements land in dc1.
		wantDC1 int
	}{
		{name: "prefer dc1", weight: 100, wantDC1: 10},
		{name: "avoid dc1", weight: -100, wantDC1: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := rackNodes(40, 5)
			job := mock.Job()
			job.Datacenters = []string{"dc1", "dc2"}
			job.TaskGroups[0].Count = 10
			job.Affinities = []*structs.Affinity{{LTarget: "${node.datacenter}", Operand: "=", RTarget: "dc1", Weight: tc.weight}}
			ctx := newTestContext(t, job, newFakeState(nodes))
			stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
			dcOf := make(map[string]string, len(nodes))
			for _, n := range nodes {
				dcOf[n.ID] = n.Datacenter
			}
			inDC1 := 0
			allocs := placeAll(t, ctx, stack, job, 10)
			for _, a := range allocs {
				if dcOf[a.NodeID] == "dc1" {
					inDC1++
				}
			}
			if inDC1 != tc.wantDC1 {
				t.Fatalf("%d placements in dc1, want %d", inDC1, tc.wantDC1)
			}
		})
	}
}

// TestSpreadScoreCacheMatches checks the stack's cached spread scores
// against uncached ones while a group is placed, a node without the
// attribute included.
func TestSpreadScoreCacheMatches(t *testing.T) {
	nodes := rackNodes(30, 4)
	delete(nodes[7].Meta, "rack")
	job := mock.Job()
	job.Datacenters = []string{"dc1", "dc2"}
	tg := job.TaskGroups[0]
	tg.Count = 12
	tg.Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100}}
	ctx := newTestContext(t, job, newFakeState(nodes))
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
	scorer := stack.group(tg).spread
	for step := range tg.Count {
		for i, n := range stack.Nodes() {
			cached, err := scorer.ScoreAt(i, n)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := scorer.Score(n)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(cached-plain) > 1e-12 {
				t.Fatalf("step %d node %d: cached score %v, uncached %v", step, i, cached, plain)
			}
		}
		placeAll(t, ctx, stack, job, 1)
	}
}
