package scheduler_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// matrixRacks is R, the number of racks the matrix cluster's nodes are
// spread over; the job may use the first half of them.
const matrixRacks = 25

// BenchmarkMatrix is the comparison with Nomad's scheduler
// benchmark, built the same way: clusters of 1,000, 5,000 and 10,000
// nodes alternating between dc-1 and dc-2, meta.rack = r<i mod 25>, each
// node 4 cores × 3,500 MHz, 32,000 MB and 100 GB of disk; one service job
// in both datacenters of count 50 to 1,200, each allocation asking 6,000
// MHz and 6,000 MB, constrained to the first half of the racks by
// set_contains_any, without and with spread { attribute = "${meta.rack}" }.
// One op is one evaluation placing the whole job on the empty cluster; the
// plan is not committed.
//
// Besides ns/op it reports placements/s, placed (1,000 nodes hold only
// 960 such allocations in the allowed racks, so count 1,200 cannot fully
// place there), spread_evenness (max − min allocations per allowed rack),
// nodes_used, shared_allocs (allocations on a node holding another of the
// job's) and max_per_node (the most allocations of the job on one node).
// Run the whole matrix once per case, which takes well under two minutes
// on two cores:
//
//	go test -run='^$' -bench=Matrix -benchtime 1x ./scheduler/
func BenchmarkMatrix(b *testing.B) {
	for _, nodes := range []int{1000, 5000, 10000} {
		state := matrixCluster(nodes)
		for _, spread := range []bool{false, true} {
			for _, count := range []int{50, 300, 600, 900, 1200} {
				name := fmt.Sprintf("nodes=%d/spread=%t/count=%d", nodes, spread, count)
				b.Run(name, func(b *testing.B) { benchmarkMatrixCase(b, state, count, spread) })
			}
		}
	}
}

func matrixCluster(nodes int) *schedtest.State {
	state := schedtest.NewState()
	for i := range nodes {
		n := mock.Node()
		n.Datacenter = fmt.Sprintf("dc-%d", i%2+1)
		n.Meta = map[string]string{"rack": fmt.Sprintf("r%d", i%matrixRacks)}
		n.NodeResources.Cpu = structs.NodeCpuResources{CpuShares: 4 * 3500, TotalCpuCores: 4}
		n.NodeResources.Memory = structs.NodeMemoryResources{MemoryMB: 32000}
		n.NodeResources.Disk = structs.NodeDiskResources{DiskMB: 100 * 1000}
		state.UpsertNode(n)
	}
	return state
}

func matrixJob(count int, spread bool) *structs.Job {
	racks := make([]string, matrixRacks/2)
	for i := range racks {
		racks[i] = fmt.Sprintf("r%d", i)
	}
	job := mock.Job()
	job.Datacenters = []string{"dc-1", "dc-2"}
	job.Constraints = []*structs.Constraint{{
		LTarget: "${meta.rack}", Operand: "set_contains_any", RTarget: strings.Join(racks, ","),
	}}
	tg := job.TaskGroups[0]
	tg.Count = count
	tg.Tasks[0].Resources = &structs.Resources{CPU: 6000, MemoryMB: 6000}
	if spread {
		tg.Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: structs.SpreadDefaultWeight}}
	}
	return job
}

func benchmarkMatrixCase(b *testing.B, state *schedtest.State, count int, spread bool) {
	job := matrixJob(count, spread)
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
		if err := s.Process(eval); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	q := planQuality(b, state, planner.last)
	if q.placed == 0 {
		b.Fatal("nothing placed")
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(q.placed)/(nsPerOp/1e9), "placements/s")
	b.ReportMetric(float64(q.placed), "placed")
	b.ReportMetric(float64(q.evenness), "spread_evenness")
	b.ReportMetric(float64(q.nodesUsed), "nodes_used")
	b.ReportMetric(float64(q.shared), "shared_allocs")
	b.ReportMetric(float64(q.maxPerNode), "max_per_node")
}

type quality struct {
	placed, evenness, nodesUsed, shared, maxPerNode int
}

// planQuality measures a plan's placements: evenness over the racks the
// job may use (an unused allowed rack counts as zero).
func planQuality(b *testing.B, state *schedtest.State, plan *structs.Plan) quality {
	perRack := make(map[string]int, matrixRacks/2)
	for i := range matrixRacks / 2 {
		perRack[fmt.Sprintf("r%d", i)] = 0
	}
	var q quality
	for nodeID, allocs := range plan.NodeAllocation {
		node, err := state.NodeByID(nodeID)
		if err != nil || node == nil {
			b.Fatalf("node %s of the plan: %v", nodeID, err)
		}
		q.placed += len(allocs)
		q.nodesUsed++
		if len(allocs) > 1 {
			q.shared += len(allocs)
		}
		q.maxPerNode = max(q.maxPerNode, len(allocs))
		perRack[node.Meta["rack"]] += len(allocs)
	}
	lo, hi := -1, 0
	for _, n := range perRack {
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	q.evenness = hi - lo
	return q
}
