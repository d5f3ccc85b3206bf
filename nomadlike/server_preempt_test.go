package nomadlike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// cpuJob is a service job of count allocations of cpu MHz each.
func cpuJob(priority, count, cpu int) *structs.Job {
	j := mock.Job()
	j.Priority = priority
	j.TaskGroups[0].Count = count
	j.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: cpu, MemoryMB: 64}
	return j
}

func jobAllocs(t *testing.T, rpc structs.RPCer, jobID string) []*structs.AllocListStub {
	t.Helper()
	var out structs.JobAllocationsResponse
	if err := rpc.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: jobID}, &out); err != nil {
		t.Fatal(err)
	}
	return out.Allocations
}

// TestServer_ServicePreemption fills a one-node cluster with a low-priority
// job, turns service preemption on through the configuration RPC, and
// registers a high-priority job: the real scheduler evicts one low
// allocation for it in the plan's Raft entry, and the low job's preemption
// evaluation finds no room and blocks.
func TestServer_ServicePreemption(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	node := mock.Node() // 4,000 MHz
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &reg); err != nil {
		t.Fatal(err)
	}
	low := cpuJob(20, 4, 1000)
	waitEvalComplete(t, s, registerJob(t, s, low).EvalID)
	if n := len(jobAllocs(t, s, low.ID)); n != 4 {
		t.Fatalf("low job has %d allocations, want 4 filling the node", n)
	}

	cfg := *storedSchedulerConfig(t, s).SchedulerConfig
	cfg.PreemptionConfig.ServiceSchedulerEnabled = true
	if resp, err := setSchedulerConfig(s, cfg, true); err != nil || !resp.Updated {
		t.Fatalf("enable service preemption: %+v, %v", resp, err)
	}
	high := cpuJob(80, 1, 1000)
	// job plan shows the eviction before the run makes it.
	var plan structs.JobPlanResponse
	if err := s.RPC(structs.JobPlanRPC, &structs.JobPlanRequest{Job: high}, &plan); err != nil {
		t.Fatalf("plan: %v", err)
	}
	if plan.Annotations == nil || len(plan.Annotations.PreemptedAllocs) != 1 ||
		plan.Annotations.PreemptedAllocs[0].JobID != low.ID || plan.Annotations.DesiredTGUpdates["web"].Preemptions != 1 {
		t.Fatalf("plan annotations %+v, want one preempted allocation of the low job counted against group web", plan.Annotations)
	}
	waitEvalComplete(t, s, registerJob(t, s, high).EvalID)

	placed := jobAllocs(t, s, high.ID)
	if len(placed) != 1 || placed[0].NodeID != node.ID || len(placed[0].PreemptedAllocations) != 1 {
		t.Fatalf("high job allocations %+v, want one on the node preempting one allocation", placed)
	}
	var evicted *structs.AllocListStub
	for _, a := range jobAllocs(t, s, low.ID) {
		if a.DesiredStatus == structs.AllocDesiredStatusEvict {
			if evicted != nil {
				t.Fatalf("more than one low allocation evicted")
			}
			evicted = a
		}
	}
	if evicted == nil || evicted.ID != placed[0].PreemptedAllocations[0] ||
		evicted.PreemptedByAllocation != placed[0].ID || evicted.DesiredDescription != "Preempted by alloc ID "+placed[0].ID {
		t.Fatalf("evicted %+v, want the allocation the high job names, described as preempted by it", evicted)
	}

	// The low job is evaluated again for the evicted allocation; with the
	// node full it blocks.
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		var evals structs.JobEvaluationsResponse
		if err := s.RPC(structs.JobEvaluationsRPC, &structs.JobSpecificRequest{JobID: low.ID}, &evals); err != nil {
			return err
		}
		var preempt, blocked *structs.Evaluation
		for _, e := range evals.Evaluations {
			switch {
			case e.TriggeredBy == structs.EvalTriggerPreemption:
				preempt = e
			case e.Status == structs.EvalStatusBlocked:
				blocked = e
			}
		}
		switch {
		case preempt == nil:
			return fmt.Errorf("no preemption eval among %d evals of the low job", len(evals.Evaluations))
		case preempt.Status != structs.EvalStatusComplete || preempt.FailedTGAllocs["web"] == nil:
			return fmt.Errorf("preemption eval %s %s, want complete with a failed placement", preempt.Status, preempt.StatusDescription)
		case blocked == nil || preempt.BlockedEval != blocked.ID:
			return fmt.Errorf("no blocked eval linked from the preemption eval")
		}
		return nil
	})
	live := 0
	for _, a := range jobAllocs(t, s, low.ID) {
		if a.DesiredStatus == structs.AllocDesiredStatusRun {
			live++
		}
	}
	if live != 3 {
		t.Fatalf("low job runs %d allocations, want 3", live)
	}
}
