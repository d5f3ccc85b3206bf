package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// discardPlanner accepts every plan in full without committing it, so each
// benchmark operation plans against the same empty cluster.
type discardPlanner struct{ last *structs.Plan }

func (p *discardPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	p.last = plan
	return &structs.PlanResult{NodeAllocation: plan.NodeAllocation, NodeUpdate: plan.NodeUpdate}, nil, nil
}
func (p *discardPlanner) UpdateEval(*structs.Evaluation) error { return nil }
func (p *discardPlanner) CreateEval(*structs.Evaluation) error { return nil }

func benchmarkPlacement(b *testing.B, count, nodes, limit int) {
	benchmarkOn(b, emptyCluster(nodes), count, limit)
}

func emptyCluster(nodes int) *schedtest.State {
	state := schedtest.NewState()
	for range nodes {
		state.UpsertNode(mock.Node())
	}
	return state
}

// fragmentedCluster gives each node one allocation of another job using a
// random share of its CPU and memory, from a fixed seed.
func fragmentedCluster(nodes int) *schedtest.State {
	state := schedtest.NewState()
	rng := rand.New(rand.NewPCG(1, 1))
	other := mock.Job()
	for range nodes {
		n := mock.Node()
		a := mock.AllocFor(other, n, 0)
		a.AllocatedResources.Tasks["web"].Cpu.CpuShares = rng.Int64N(3500)
		a.AllocatedResources.Tasks["web"].Memory.MemoryMB = rng.Int64N(7900)
		state.UpsertNode(n)
		state.UpsertAllocs(a)
	}
	return state
}

func benchmarkOn(b *testing.B, state *schedtest.State, count, limit int) {
	job := mock.Job()
	job.TaskGroups[0].Count = count
	state.UpsertJob(job)
	eval := mock.EvalFor(job)
	planner := &discardPlanner{}
	cfg := scheduler.Config{Logger: hclog.NewNullLogger(), State: state, Planner: planner}

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := scheduler.NewGenericScheduler(cfg, false)
		if err != nil {
			b.Fatal(err)
		}
		s.SampleLimit = limit
		if err := s.Process(eval); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	placed, used, score := 0, 0, 0.0
	for _, allocs := range planner.last.NodeAllocation {
		placed += len(allocs)
		used++
		for _, a := range allocs {
			score += a.Metrics.ScoreMetaData[0].Scores[feasible.ScoreBinPack]
		}
	}
	if placed != count {
		b.Fatalf("placed %d, want %d", placed, count)
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(count)/(nsPerOp/1e9), "placements/s")
	b.ReportMetric(float64(used), "nodes_used")
	b.ReportMetric(score/float64(placed), "mean_binpack")
}

// BenchmarkServiceJob1000On1000Nodes is one evaluation placing a count-1000
// service job on 1,000 empty nodes with the default sample limit.
func BenchmarkServiceJob1000On1000Nodes(b *testing.B) { benchmarkPlacement(b, 1000, 1000, 0) }

// BenchmarkServiceJob50On1000Nodes is the same for a count-50 job.
func BenchmarkServiceJob50On1000Nodes(b *testing.B) { benchmarkPlacement(b, 50, 1000, 0) }

// BenchmarkSampleLimit weighs the sample bound, time per evaluation
// against packing quality, on a cluster where every node is already partly
// used (so the pool of busy nodes stays out of it: the random sample alone
// decides): mean_binpack is the average bin-pack score of the chosen nodes
// (higher is tighter) and nodes_used how many nodes the job landed on.
func BenchmarkSampleLimit(b *testing.B) {
	state := fragmentedCluster(1000)
	for _, limit := range []int{2, 5, 10, 20, 50} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) { benchmarkOn(b, state, 200, limit) })
	}
}
