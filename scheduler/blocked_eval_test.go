package scheduler_test

import (
	"maps"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// TestBlockedEvalClassEligibility checks what a blocked evaluation tells
// the server about node classes: the classes that passed the failed
// group's checks (worth unblocking for), the ones that did not, and
// whether a constraint escaped the classes altogether.
func TestBlockedEvalClassEligibility(t *testing.T) {
	// r1: passes the constraint but is too small; r2: rejected by it;
	// dc2: outside the job's datacenters.
	small, wrongRack, otherDC := mock.Node(), mock.Node(), mock.Node()
	small.NodeResources.Memory.MemoryMB = 64
	wrongRack.Meta["rack"] = "r2"
	otherDC.Datacenter = "dc2"
	cases := []struct {
		name        string
		constraints []*structs.Constraint
		want        map[*structs.Node]bool
		wantEscaped bool
	}{
		{
			name:        "classes",
			constraints: []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "="}},
			want:        map[*structs.Node]bool{small: true, wrongRack: false, otherDC: false},
		},
		{
			name: "escaped",
			constraints: []*structs.Constraint{
				{LTarget: "${meta.rack}", RTarget: "r1", Operand: "="},
				{LTarget: "${node.unique.name}", RTarget: "nope", Operand: "!="},
			},
			want:        map[*structs.Node]bool{small: true, wrongRack: false, otherDC: false},
			wantEscaped: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.NewHarness(t)
			h.State.UpsertNode(small.Copy(), wrongRack.Copy(), otherDC.Copy())
			job := mock.Job()
			job.TaskGroups[0].Count = 2
			job.TaskGroups[0].Constraints = tc.constraints
			h.State.UpsertJob(job)
			if err := h.Process(mock.EvalFor(job)); err != nil {
				t.Fatal(err)
			}
			created := h.Planner.Created()
			if len(created) != 1 || created[0].Status != structs.EvalStatusBlocked {
				t.Fatalf("created %+v, want one blocked eval", created)
			}
			want := make(map[string]bool)
			for n, ok := range tc.want {
				c := n.Copy()
				c.ComputeClass()
				want[c.ComputedClass] = ok
			}
			b := created[0]
			if !maps.Equal(b.ClassEligibility, want) || b.EscapedComputedClass != tc.wantEscaped {
				t.Fatalf("ClassEligibility %v escaped %v, want %v escaped %v",
					b.ClassEligibility, b.EscapedComputedClass, want, tc.wantEscaped)
			}
		})
	}
}
