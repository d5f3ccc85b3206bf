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

// BenchmarkClassCache places a constrained job on 5,000 nodes of 10 racks
// (10 computed classes), with the per-class verdict cache and without it
// (nodes whose ComputedClass is empty are checked one by one). Half the
// racks fail the constraints, so every placement walks past rejected
// nodes; a group too big for any node (fits=false) walks them all once
// and blocks.
func BenchmarkClassCache(b *testing.B) {
	for _, classes := range []bool{true, false} {
		for _, fits := range []bool{true, false} {
			b.Run(fmt.Sprintf("classes=%v/fits=%v", classes, fits), func(b *testing.B) {
				benchmarkClassCache(b, classes, fits)
			})
		}
	}
}

func benchmarkClassCache(b *testing.B, classes, fits bool) {
	state := schedtest.NewState()
	var nodes []*structs.Node
	for i := range 5000 {
		n := mock.Node()
		n.Meta["rack"] = fmt.Sprintf("r%d", i%10)
		nodes = append(nodes, n)
	}
	state.UpsertNode(nodes...)
	if !classes {
		for _, n := range nodes {
			n.ComputedClass = ""
		}
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 100
	if !fits {
		job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 1 << 20
	}
	job.Constraints = []*structs.Constraint{
		{LTarget: "${meta.rack}", RTarget: "^r[0-4]$", Operand: "regexp"},
		{LTarget: "${attr.nomad.version}", RTarget: ">= 0.1.0", Operand: "version"},
		{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="},
	}
	state.UpsertJob(job)
	eval := mock.EvalFor(job)
	cfg := scheduler.Config{Logger: hclog.NewNullLogger(), State: state, Planner: &discardPlanner{}}
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
}
