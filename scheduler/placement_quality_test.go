package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
)

// TestSpreadWithinJobPackAcrossJobs runs jobs one after another through
// the generic scheduler on a mostly empty cluster: each job's allocations
// go to distinct nodes (job anti-affinity), and each later job lands on
// the nodes the earlier ones use (bin-packing across jobs) rather than on
// fresh ones, as long as they have room.
func TestSpreadWithinJobPackAcrossJobs(t *testing.T) {
	cases := []struct {
		name string
		// counts are the jobs' counts, in the order they are placed.
		counts []int
		// wantNodes is how many nodes all the jobs end up on.
		wantNodes int
	}{
		// Eight mock allocations (500 MHz of 4,000) fill a node: three
		// jobs of 10 share the same 10 nodes.
		{name: "three jobs of 10", counts: []int{10, 10, 10}, wantNodes: 10},
		// A job larger than the nodes in use takes them all and opens
		// fresh ones for the rest only.
		{name: "10 then 15", counts: []int{10, 15}, wantNodes: 15},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := setup(t, 120, mock.Job())
			total := 0
			for i, count := range tc.counts {
				job := mock.Job()
				job.ID = fmt.Sprintf("job-%d", i)
				job.TaskGroups[0].Count = count
				h.State.UpsertJob(job)
				process(t, h, mock.EvalFor(job))
				total += count
			}
			live := liveAllocs(h)
			if len(live) != total {
				t.Fatalf("%d allocations live, want %d", len(live), total)
			}
			nodes := make(map[string]bool)
			perJobNode := make(map[string]int)
			for _, a := range live {
				nodes[a.NodeID] = true
				key := a.JobID + "@" + a.NodeID
				if perJobNode[key]++; perJobNode[key] > 1 {
					t.Fatalf("%s has two allocations on node %s", a.JobID, a.NodeID)
				}
			}
			if len(nodes) != tc.wantNodes {
				t.Fatalf("jobs use %d nodes, want %d", len(nodes), tc.wantNodes)
			}
		})
	}
}
