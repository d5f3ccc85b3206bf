package scheduler_test

import (
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// BenchmarkPortsAndVolumes1000On1000Nodes is BenchmarkServiceJob1000On1000Nodes
// with what this file's features cost: each allocation asks for three
// dynamic ports from a 100-port range and a host volume that every other
// node lacks, so half of the nodes looked at are filtered.
func BenchmarkPortsAndVolumes1000On1000Nodes(b *testing.B) {
	state := schedtest.NewState()
	for i := range 1000 {
		n := mock.Node()
		n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20099
		n.ReservedResources.Networks.ReservedHostPorts = "20000-20009"
		if i%2 == 0 {
			n.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"data": {Name: "data", Path: "/srv/data"}}
		}
		state.UpsertNode(n)
	}
	job := mock.Job()
	tg := job.TaskGroups[0]
	tg.Count = 1000
	tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "a"}, {Label: "b"}, {Label: "c"}}}}
	tg.Volumes = map[string]*structs.VolumeRequest{"data": {Name: "data", Type: structs.VolumeTypeHost, Source: "data"}}
	tg.Tasks[0].VolumeMounts = []*structs.VolumeMount{{Volume: "data", Destination: "/data"}}
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
	placed := 0
	for _, allocs := range planner.last.NodeAllocation {
		placed += len(allocs)
	}
	if placed != 1000 {
		b.Fatalf("placed %d, want 1000", placed)
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(1000/(nsPerOp/1e9), "placements/s")
}
