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

// BenchmarkMatrixSystemJob is the system-job case: one op is one
// evaluation of the system scheduler placing a system job (500 MHz, 256 MB)
// on every one of the 5,000 matrix nodes, the plan not committed.
func BenchmarkMatrixSystemJob(b *testing.B) {
	const nodes = 5000
	state := matrixCluster(nodes)
	job := mock.Job()
	job.Type = structs.JobTypeSystem
	job.Datacenters = []string{"dc-1", "dc-2"}
	job.TaskGroups[0].Count = 1
	state.UpsertJob(job)
	eval := mock.EvalFor(job)
	planner := &discardPlanner{}
	cfg := scheduler.Config{Logger: hclog.NewNullLogger(), State: state, Planner: planner}

	b.ReportAllocs()
	for b.Loop() {
		s, err := scheduler.NewSystemScheduler(cfg, false)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Process(eval); err != nil {
			b.Fatal(err)
		}
	}
	placed := 0
	for _, allocs := range planner.last.NodeAllocation {
		placed += len(allocs)
	}
	if placed != nodes {
		b.Fatalf("placed %d, want one on each of %d nodes", placed, nodes)
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(placed)/(nsPerOp/1e9), "placements/s")
	b.ReportMetric(float64(placed), "placed")
}

// Shape of the sequence case's jobs: 14 of them fit a matrix node by CPU
// (16 by memory), so the fewest nodes that can hold the 10,000
// allocations is ceil(10,000 / 14) = 715. The matrix job's 6,000 MHz would
// fit only two per node and fill the 5,000 nodes exactly, which measures
// nothing about packing.
const (
	sequenceJobs  = 100
	sequenceCount = 100
	sequenceCPU   = 1000
	sequenceMemMB = 2000
)

// BenchmarkMatrixHundredJobs is the sequence case: 100 service
// jobs of count 100 placed one after another on the 5,000 matrix nodes,
// each plan committed so each job sees the ones before it. One op is the
// hundred evaluations, from an empty cluster.
//
// Besides placements/s it reports the packing across jobs, nodes_used
// against fewest_nodes (ceil of total demand over per-node capacity, on the
// dimension that binds) and density = fewest_nodes / nodes_used, and the
// spreading within each job, max_per_node (the most allocations of one job
// on one node) and min_job_nodes (the fewest nodes any job used; 100 means
// every job is on distinct nodes).
func BenchmarkMatrixHundredJobs(b *testing.B) {
	const nodes = 5000
	var state *schedtest.State
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		state = matrixCluster(nodes)
		jobs := make([]*structs.Job, sequenceJobs)
		for i := range jobs {
			jobs[i] = sequenceJob(i)
			state.UpsertJob(jobs[i])
		}
		b.StartTimer()
		for _, job := range jobs {
			cfg := scheduler.Config{Logger: hclog.NewNullLogger(), State: state, Planner: schedtest.NewPlanner(state)}
			s, err := scheduler.NewGenericScheduler(cfg, false)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Process(mock.EvalFor(job)); err != nil {
				b.Fatal(err)
			}
		}
	}
	p := sequencePacking(state)
	if p.placed != sequenceJobs*sequenceCount {
		b.Fatalf("placed %d, want %d", p.placed, sequenceJobs*sequenceCount)
	}
	fewest := fewestNodes(p.placed, 4*3500, 32000)
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(p.placed)/(nsPerOp/1e9), "placements/s")
	b.ReportMetric(float64(p.nodesUsed), "nodes_used")
	b.ReportMetric(float64(fewest), "fewest_nodes")
	b.ReportMetric(float64(fewest)/float64(p.nodesUsed), "density")
	b.ReportMetric(float64(p.maxPerNode), "max_per_node")
	b.ReportMetric(float64(p.minJobNodes), "min_job_nodes")
}

func sequenceJob(i int) *structs.Job {
	job := mock.Job()
	job.ID = fmt.Sprintf("seq-%03d", i)
	job.Name = job.ID
	job.Datacenters = []string{"dc-1", "dc-2"}
	tg := job.TaskGroups[0]
	tg.Count = sequenceCount
	tg.Tasks[0].Resources = &structs.Resources{CPU: sequenceCPU, MemoryMB: sequenceMemMB}
	return job
}

// fewestNodes is ceil(total demand / per-node capacity) on the binding
// dimension, for allocs allocations of the sequence shape.
func fewestNodes(allocs int, nodeCPU, nodeMemMB int) int {
	byCPU := (allocs*sequenceCPU + nodeCPU - 1) / nodeCPU
	byMem := (allocs*sequenceMemMB + nodeMemMB - 1) / nodeMemMB
	return max(byCPU, byMem)
}

type packing struct {
	placed, nodesUsed, maxPerNode, minJobNodes int
}

func sequencePacking(state *schedtest.State) packing {
	var p packing
	nodes := make(map[string]bool)
	perJobNode := make(map[string]map[string]int)
	for _, a := range state.Allocs() {
		if a.TerminalStatus() {
			continue
		}
		p.placed++
		nodes[a.NodeID] = true
		if perJobNode[a.JobID] == nil {
			perJobNode[a.JobID] = make(map[string]int)
		}
		perJobNode[a.JobID][a.NodeID]++
	}
	p.nodesUsed = len(nodes)
	p.minJobNodes = -1
	for _, byNode := range perJobNode {
		if p.minJobNodes < 0 || len(byNode) < p.minJobNodes {
			p.minJobNodes = len(byNode)
		}
		for _, n := range byNode {
			p.maxPerNode = max(p.maxPerNode, n)
		}
	}
	return p
}
