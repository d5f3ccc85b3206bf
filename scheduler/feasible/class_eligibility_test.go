package feasible

import (
	"maps"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// classedNodes returns n mock nodes with their computed class, as the
// server stores them; change adjusts node i before the class is computed.
func classedNodes(n int, change func(i int, node *structs.Node)) []*structs.Node {
	out := make([]*structs.Node, n)
	for i := range out {
		out[i] = mock.Node()
		if change != nil {
			change(i, out[i])
		}
		out[i].ComputeClass()
	}
	return out
}

// TestClassVerdictIsReused gives two differing nodes one forged computed
// class: whichever the shuffle checks first decides for both, which shows
// the second node's constraints are not run again.
func TestClassVerdictIsReused(t *testing.T) {
	cases := []struct {
		name         string
		class        string
		wantFiltered []int
	}{
		{"shared class: one verdict for both", "v1:forged", []int{0, 2}},
		{"no class: each node checked", "", []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "="}}
			nodes := classedNodes(2, func(i int, n *structs.Node) {
				if i == 1 {
					n.Meta["rack"] = "r2"
				}
			})
			for _, n := range nodes {
				n.ComputedClass = tc.class
			}
			ctx := newTestContext(t, job, nil)
			stack := NewStack(ctx, job, NewCandidates(job, nodes), 2)
			_, m, err := stack.Select(job.TaskGroups[0])
			if err != nil {
				t.Fatal(err)
			}
			ok := false
			for _, want := range tc.wantFiltered {
				ok = ok || m.NodesFiltered == want
			}
			if !ok || m.NodesEvaluated != 2 {
				t.Fatalf("evaluated %d, filtered %d; want 2 evaluated and filtered one of %v",
					m.NodesEvaluated, m.NodesFiltered, tc.wantFiltered)
			}
		})
	}
}

// TestClassCacheKeepsPerNodeChecks places on nodes that share a real
// computed class: checks that differ between such nodes must still be
// made per node.
func TestClassCacheKeepsPerNodeChecks(t *testing.T) {
	t.Run("constraint on a unique target", func(t *testing.T) {
		nodes := classedNodes(4, nil)
		job := mock.Job()
		job.Constraints = []*structs.Constraint{{LTarget: "${node.unique.name}", RTarget: nodes[2].Name, Operand: "="}}
		ctx := newTestContext(t, job, nil)
		// A sample bound above the node count makes Select look at all.
		stack := NewStack(ctx, job, NewCandidates(job, nodes), 10)
		opt, m, err := stack.Select(job.TaskGroups[0])
		if err != nil {
			t.Fatal(err)
		}
		if opt == nil || opt.Node.ID != nodes[2].ID || m.NodesFiltered != 3 {
			t.Fatalf("option %v, filtered %d; want node %s and the 3 others filtered", opt, m.NodesFiltered, nodes[2].ID)
		}
	})
	t.Run("distinct_hosts", func(t *testing.T) {
		nodes := classedNodes(4, nil)
		job := mock.Job()
		job.Constraints = []*structs.Constraint{{Operand: OpDistinctHosts}}
		ctx := newTestContext(t, job, nil)
		stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
		seen := map[string]bool{}
		for _, a := range placeAll(t, ctx, stack, job, 4) {
			if seen[a.NodeID] {
				t.Fatalf("two allocations on %s despite distinct_hosts", a.NodeID)
			}
			seen[a.NodeID] = true
		}
	})
}

func TestEvalEligibilityRecordsClasses(t *testing.T) {
	nodes := classedNodes(4, func(i int, n *structs.Node) {
		switch i {
		case 1:
			n.Meta["rack"] = "r2"
		case 2:
			n.Datacenter = "dc9"
		case 3:
			n.NodePool = "gpu"
		}
	})
	job := mock.Job()
	job.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "="}}
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
	if _, _, err := stack.Select(job.TaskGroups[0]); err != nil {
		t.Fatal(err)
	}
	groups := []string{job.TaskGroups[0].Name}
	want := map[string]bool{
		nodes[0].ComputedClass: true,
		nodes[1].ComputedClass: false,
		nodes[2].ComputedClass: false,
		nodes[3].ComputedClass: false,
	}
	if got := ctx.Eligibility().Classes(groups); !maps.Equal(got, want) {
		t.Fatalf("classes %v, want %v", got, want)
	}
	if ctx.Eligibility().Escaped(groups) {
		t.Fatal("escaped without a unique target")
	}
}

func TestEvalEligibilityClasses(t *testing.T) {
	ok, no := classVerdict{ok: true}, classVerdict{reason: "x"}
	cases := []struct {
		name   string
		groups map[string]map[string]classVerdict
		job    map[string]string
		ask    []string
		want   map[string]bool
	}{
		{"one group", map[string]map[string]classVerdict{"a": {"c1": ok, "c2": no}}, nil,
			[]string{"a"}, map[string]bool{"c1": true, "c2": false}},
		{"eligible for any group wins", map[string]map[string]classVerdict{"a": {"c1": no}, "b": {"c1": ok}}, nil,
			[]string{"a", "b"}, map[string]bool{"c1": true}},
		{"rejected by every group", map[string]map[string]classVerdict{"a": {"c1": no}, "b": {"c1": no}}, nil,
			[]string{"a", "b"}, map[string]bool{"c1": false}},
		{"rejected by one, unseen by the other: unknown", map[string]map[string]classVerdict{"a": {"c1": no}, "b": {}}, nil,
			[]string{"a", "b"}, map[string]bool{}},
		{"groups not asked for do not count", map[string]map[string]classVerdict{"a": {"c1": no}, "b": {"c1": ok}}, nil,
			[]string{"a"}, map[string]bool{"c1": false}},
		{"job-wide rejection", nil, map[string]string{"c9": ReasonDatacenter},
			[]string{"a"}, map[string]bool{"c9": false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvalEligibility()
			for g, m := range tc.groups {
				for c, v := range m {
					e.setVerdict(g, c, v)
				}
			}
			maps.Copy(e.job, tc.job)
			if got := e.Classes(tc.ask); !maps.Equal(got, tc.want) {
				t.Fatalf("classes %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvalEligibilityEscaped(t *testing.T) {
	job := mock.Job()
	job.TaskGroups[0].Tasks[0].Constraints = []*structs.Constraint{{LTarget: "${attr.unique.hostname}", RTarget: "x", Operand: "!="}}
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, classedNodes(2, nil)), 0)
	if _, _, err := stack.Select(job.TaskGroups[0]); err != nil {
		t.Fatal(err)
	}
	if !ctx.Eligibility().Escaped([]string{job.TaskGroups[0].Name}) {
		t.Fatal("a constraint on attr.unique.hostname should escape the class")
	}
	if ctx.Eligibility().Escaped([]string{"other"}) {
		t.Fatal("another group escaped")
	}
}
