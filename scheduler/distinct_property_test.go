package scheduler_test

import (
	"maps"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

func rackConstraint(rtarget string) *structs.Constraint {
	return &structs.Constraint{LTarget: "${meta.rack}", Operand: feasible.OpDistinctProperty, RTarget: rtarget}
}

// TestDistinctPropertyScenarios runs one or two evaluations of a job with a
// distinct_property constraint on ${meta.rack} and checks where the live
// allocations ended up and what the last evaluation reported.
func TestDistinctPropertyScenarios(t *testing.T) {
	full := feasible.DistinctPropertyReason("${meta.rack}")
	unset := full + " not set"
	sixNodes := []string{"r1", "r1", "r2", "r2", "r3", "r3"}
	threeRacks := map[string]int{"r1": 1, "r2": 1, "r3": 1}
	cases := []struct {
		name      string
		racks     []string // one node per entry; "" leaves the rack unset
		count     int
		onJob     bool
		rtarget   string
		next      func(t *testing.T, h *schedtest.Harness, job *structs.Job) *structs.Evaluation
		wantRacks map[string]int
		// wantAllocs counts every allocation in state, stopped ones
		// included; 0 means only the live ones.
		wantAllocs int
		// wantQueued and wantFiltered describe the last evaluation's
		// placement failure; wantFiltered nil means none.
		wantQueued   int
		wantFiltered map[string]int
	}{
		{
			name: "group limit 2 fits", racks: sixNodes, count: 6, rtarget: "2",
			wantRacks: map[string]int{"r1": 2, "r2": 2, "r3": 2},
		},
		{
			name: "group limit 1 fits", racks: sixNodes, count: 3,
			wantRacks: threeRacks,
		},
		{
			name: "job limit 1 cannot fit the count", racks: sixNodes, count: 5, onJob: true,
			wantRacks: threeRacks, wantQueued: 2, wantFiltered: map[string]int{full: 6},
		},
		{
			name: "job limit 2 cannot fit the count", racks: sixNodes, count: 8, onJob: true, rtarget: "2",
			wantRacks: map[string]int{"r1": 2, "r2": 2, "r3": 2}, wantQueued: 2, wantFiltered: map[string]int{full: 6},
		},
		{
			name: "existing allocations count on scale up", racks: sixNodes, count: 2, rtarget: "1",
			next: func(_ *testing.T, h *schedtest.Harness, job *structs.Job) *structs.Evaluation {
				return mock.EvalFor(register(h, job, func(j *structs.Job) { j.TaskGroups[0].Count = 4 }))
			},
			wantRacks: threeRacks, wantQueued: 1, wantFiltered: map[string]int{full: 6},
		},
		{
			name: "destructive update frees the racks it stops", racks: sixNodes, count: 3,
			next: func(_ *testing.T, h *schedtest.Harness, job *structs.Job) *structs.Evaluation {
				return mock.EvalFor(register(h, job, func(j *structs.Job) {
					task := *j.TaskGroups[0].Tasks[0]
					task.Config = map[string]interface{}{"command": "/bin/true"}
					j.TaskGroups[0].Tasks = []*structs.Task{&task}
				}))
			},
			wantRacks: threeRacks, wantAllocs: 6,
		},
		{
			name: "lost allocation is replaced in its rack", racks: sixNodes, count: 3,
			next: func(t *testing.T, h *schedtest.Harness, job *structs.Job) *structs.Evaluation {
				node, err := h.State.NodeByID(liveAllocs(h)[0].NodeID)
				if err != nil || node == nil {
					t.Fatalf("node of a live allocation: %v, %v", node, err)
				}
				down := *node
				down.Status = structs.NodeStatusDown
				h.State.UpsertNode(&down)
				return mock.EvalFor(job)
			},
			wantRacks: threeRacks, wantAllocs: 4,
		},
		{
			name: "nodes without the property are filtered", racks: []string{"r1", "", "r2", ""}, count: 3,
			wantRacks: map[string]int{"r1": 1, "r2": 1}, wantQueued: 1, wantFiltered: map[string]int{full: 2, unset: 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Count = tc.count
			if tc.onJob {
				job.Constraints = append(job.Constraints, rackConstraint(tc.rtarget))
			} else {
				job.TaskGroups[0].Constraints = append(job.TaskGroups[0].Constraints, rackConstraint(tc.rtarget))
			}
			h := schedtest.NewHarness(t)
			for _, rack := range tc.racks {
				n := mock.Node()
				delete(n.Meta, "rack")
				if rack != "" {
					n.Meta["rack"] = rack
				}
				h.State.UpsertNode(n)
			}
			h.State.UpsertJob(job)
			eval := mock.EvalFor(job)
			process(t, h, eval)
			if tc.next != nil {
				eval = tc.next(t, h, job)
				process(t, h, eval)
			}

			live := liveAllocs(h)
			if want := max(tc.wantAllocs, len(live)); len(h.State.Allocs()) != want {
				t.Fatalf("%d allocations in state, want %d", len(h.State.Allocs()), want)
			}
			gotRacks := map[string]int{}
			for _, a := range live {
				node, _ := h.State.NodeByID(a.NodeID)
				gotRacks[node.Meta["rack"]]++
			}
			if !maps.Equal(gotRacks, tc.wantRacks) {
				t.Fatalf("live allocations per rack %v, want %v", gotRacks, tc.wantRacks)
			}
			got := h.LastEval()
			if got.ID != eval.ID || got.Status != structs.EvalStatusComplete {
				t.Fatalf("last eval %+v, want %s complete", got, eval.ID)
			}
			if got.QueuedAllocations["web"] != tc.wantQueued {
				t.Fatalf("QueuedAllocations = %v, want web: %d", got.QueuedAllocations, tc.wantQueued)
			}
			m := got.FailedTGAllocs["web"]
			if tc.wantFiltered == nil {
				if m != nil || got.BlockedEval != "" {
					t.Fatalf("unexpected placement failure %+v", m)
				}
				return
			}
			if m == nil || got.BlockedEval == "" {
				t.Fatalf("no placement failure or blocked eval reported: %+v", got)
			}
			if !maps.Equal(m.ConstraintFiltered, tc.wantFiltered) || m.NodesFiltered != len(tc.racks) {
				t.Fatalf("failure metric filtered %d nodes %v, want %d nodes %v",
					m.NodesFiltered, m.ConstraintFiltered, len(tc.racks), tc.wantFiltered)
			}
			if m.CoalescedFailures != tc.wantQueued-1 {
				t.Fatalf("CoalescedFailures = %d, want %d", m.CoalescedFailures, tc.wantQueued-1)
			}
		})
	}
}
