package scheduler_test

import (
	"strconv"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// TestSchedulerAlgorithm places on three nodes already 75%, 25% and 50%
// busy: bin-packing takes the fullest that fits, spread the emptiest.
func TestSchedulerAlgorithm(t *testing.T) {
	cases := []struct {
		algorithm string
		wantNode  int
	}{
		{"", 0},
		{structs.SchedulerAlgorithmBinpack, 0},
		{structs.SchedulerAlgorithmSpread, 1},
	}
	for _, tc := range cases {
		t.Run("algorithm "+tc.algorithm, func(t *testing.T) {
			cfg := structs.DefaultSchedulerConfig()
			cfg.SchedulerAlgorithm = tc.algorithm
			h, nodes := preemptHarness(t, 3, cfg)
			runVictims(h, nodes, []victimSpec{
				{name: "a", node: 0, priority: 50, cpu: 3000},
				{name: "b", node: 1, priority: 50, cpu: 1000},
				{name: "c", node: 2, priority: 50, cpu: 2000},
			})
			job := sizedJob(structs.JobTypeService, 50, 1, 500)
			h.State.UpsertJob(job)
			// Score every node, so the choice is the algorithm's alone.
			err := h.ProcessWith(mock.EvalFor(job), func(s scheduler.Scheduler) {
				s.(*scheduler.GenericScheduler).SampleLimit = 3
			})
			if err != nil {
				t.Fatal(err)
			}
			placed := schedtest.Placed(h.LastPlan())
			if len(placed) != 1 || placed[0].NodeID != nodes[tc.wantNode].ID {
				t.Fatalf("placed %v, want node %d", placed, tc.wantNode)
			}
		})
	}
}

// TestSpreadAlgorithmFillsEvenly places three single-allocation jobs one
// after another on three empty nodes: spread gives each its own node, where
// bin-packing stacks them (one job's anti-affinity does not apply across
// jobs).
func TestSpreadAlgorithmFillsEvenly(t *testing.T) {
	cases := []struct {
		algorithm string
		wantNodes int
	}{
		{structs.SchedulerAlgorithmSpread, 3},
		{structs.SchedulerAlgorithmBinpack, 1},
	}
	for _, tc := range cases {
		t.Run(tc.algorithm, func(t *testing.T) {
			cfg := structs.DefaultSchedulerConfig()
			cfg.SchedulerAlgorithm = tc.algorithm
			h, _ := preemptHarness(t, 3, cfg)
			for range 3 {
				job := sizedJob(structs.JobTypeService, 50, 1, 500)
				h.State.UpsertJob(job)
				if err := h.ProcessWith(mock.EvalFor(job), func(s scheduler.Scheduler) {
					s.(*scheduler.GenericScheduler).SampleLimit = 3
				}); err != nil {
					t.Fatal(err)
				}
			}
			if perNode := liveByNode(h); len(perNode) != tc.wantNodes {
				t.Fatalf("allocations per node %v, want %d nodes used", perNode, tc.wantNodes)
			}
		})
	}
}

// TestMemoryOversubscription grants memory_max only when the scheduler
// configuration enables oversubscription, as Nomad does.
func TestMemoryOversubscription(t *testing.T) {
	cases := []struct {
		enabled bool
		wantMax int64
	}{
		{false, 0},
		{true, 512},
	}
	for _, tc := range cases {
		t.Run(strconv.FormatBool(tc.enabled), func(t *testing.T) {
			cfg := structs.DefaultSchedulerConfig()
			cfg.MemoryOversubscriptionEnabled = tc.enabled
			h, _ := preemptHarness(t, 1, cfg)
			job := sizedJob(structs.JobTypeService, 50, 1, 500)
			job.TaskGroups[0].Tasks[0].Resources.MemoryMaxMB = 512
			h.State.UpsertJob(job)
			process(t, h, mock.EvalFor(job))
			placed := schedtest.Placed(h.LastPlan())
			if len(placed) != 1 {
				t.Fatalf("placed %d, want 1", len(placed))
			}
			mem := placed[0].AllocatedResources.Tasks["web"].Memory
			if mem.MemoryMB != 64 || mem.MemoryMaxMB != tc.wantMax {
				t.Fatalf("granted memory %+v, want 64 MB and memory_max %d", mem, tc.wantMax)
			}
		})
	}
}
