package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// fullCluster fills every node with four allocations of 1,000 MHz, each of
// its own job, at priorities 10 to 40, so nothing fits without preemption.
func fullCluster(nodes int) *schedtest.State {
	state := schedtest.NewState()
	state.SetSchedulerConfig(preemptAll())
	var jobs [4]*structs.Job
	for i := range jobs {
		jobs[i] = sizedJob(structs.JobTypeService, 10*(i+1), 1, 1000)
		state.UpsertJob(jobs[i])
	}
	for range nodes {
		n := mock.Node()
		state.UpsertNode(n)
		for _, j := range jobs {
			state.UpsertAllocs(mock.AllocFor(j, n, 0))
		}
	}
	return state
}

// BenchmarkPreemption is one evaluation of a priority-90 job of count
// allocations of 1,000 MHz on a full cluster: every placement preempts. The
// plan is not committed. evicted_priority is the mean priority of the
// evicted allocations (10 is the best possible).
func BenchmarkPreemption(b *testing.B) {
	for _, tc := range []struct{ nodes, count int }{{100, 50}, {1000, 50}, {1000, 500}, {5000, 200}} {
		b.Run(fmt.Sprintf("nodes=%d/count=%d", tc.nodes, tc.count), func(b *testing.B) {
			state := fullCluster(tc.nodes)
			job := sizedJob(structs.JobTypeService, 90, tc.count, 1000)
			state.UpsertJob(job)
			eval := mock.EvalFor(job)
			planner := &discardPlanner{}
			cfg := scheduler.Config{Logger: hclog.NewNullLogger(), State: state, Planner: planner}
			b.ReportAllocs()
			for b.Loop() {
				s, err := scheduler.NewGenericScheduler(cfg, false)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Process(eval); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			placed, evicted, prio := 0, 0, 0
			for _, allocs := range planner.last.NodeAllocation {
				placed += len(allocs)
			}
			for _, allocs := range planner.last.NodePreemptions {
				for _, a := range allocs {
					evicted++
					j, _ := state.JobByID(a.Namespace, a.JobID)
					prio += j.Priority
				}
			}
			if placed != tc.count || evicted != tc.count {
				b.Fatalf("placed %d evicting %d, want %d each", placed, evicted, tc.count)
			}
			nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(tc.count)/(nsPerOp/1e9), "placements/s")
			b.ReportMetric(float64(prio)/float64(evicted), "evicted_priority")
		})
	}
}
