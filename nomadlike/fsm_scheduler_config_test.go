package nomadlike

import (
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestFSM_SchedulerConfigCAS applies a sequence of sets on one FSM: each
// entry's answer says whether it took effect, and a check-and-set against a
// stale index leaves the stored configuration alone.
func TestFSM_SchedulerConfigCAS(t *testing.T) {
	t.Parallel()
	f := testFSM(t, nil)
	spread := func(modifyIndex uint64, alg string) structs.SchedulerConfiguration {
		c := *structs.DefaultSchedulerConfig()
		c.SchedulerAlgorithm, c.ModifyIndex = alg, modifyIndex
		return c
	}
	steps := []struct {
		name       string
		index      uint64
		req        structs.SchedulerSetConfigRequest
		want       bool
		wantAlg    string
		wantModify uint64
		wantCreate uint64
	}{
		{"cas on none stored with index 0 writes", 10,
			structs.SchedulerSetConfigRequest{Config: spread(0, "binpack"), CAS: true}, true, "binpack", 10, 10},
		{"cas with index 0 once one is stored is refused", 11,
			structs.SchedulerSetConfigRequest{Config: spread(0, "spread"), CAS: true}, false, "binpack", 10, 10},
		{"cas with a stale index is refused", 12,
			structs.SchedulerSetConfigRequest{Config: spread(9, "spread"), CAS: true}, false, "binpack", 10, 10},
		{"cas with the current index writes", 13,
			structs.SchedulerSetConfigRequest{Config: spread(10, "spread"), CAS: true}, true, "spread", 13, 10},
		{"a plain set always writes", 14,
			structs.SchedulerSetConfigRequest{Config: spread(1, "binpack")}, true, "binpack", 14, 10},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			resp := applyEntry(t, f, st.index, structs.SchedulerConfigRequestType, &st.req)
			if resp != st.want {
				t.Fatalf("apply answered %v, want %v", resp, st.want)
			}
			idx, cfg, err := f.State().SchedulerConfig(nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.SchedulerAlgorithm != st.wantAlg || cfg.ModifyIndex != st.wantModify || cfg.CreateIndex != st.wantCreate || idx != st.wantModify {
				t.Fatalf("stored %+v at table index %d, want %s modify %d create %d", cfg, idx, st.wantAlg, st.wantModify, st.wantCreate)
			}
		})
	}
}

// TestFSM_PlanResultsWithPreemptions commits a plan that evicts an
// allocation: the victim is marked evicted by the new allocation, keeps its
// job, and its job's preemption evaluation is stored and handed on.
func TestFSM_PlanResultsWithPreemptions(t *testing.T) {
	t.Parallel()
	var notified []*structs.Evaluation
	f := testFSM(t, func(evals []*structs.Evaluation) { notified = append(notified, evals...) })
	node := mock.Node()
	low, high := mock.Job(), mock.Job()
	low.Priority, high.Priority = 20, 80
	mustApply(t, f, 1, structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node})
	mustApply(t, f, 2, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: low})
	mustApply(t, f, 3, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: high})
	victim := mock.AllocFor(low, node, 0)
	victim.Job = nil
	mustApply(t, f, 4, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{Job: low, AllocsUpdated: []*structs.Allocation{victim}})

	placed := mock.AllocFor(high, node, 0)
	placed.Job, placed.ClientStatus = nil, structs.AllocClientStatusPending
	plan := &structs.Plan{}
	evicted := plan.AppendPreemptedAlloc(victim, placed.ID)
	placed.PreemptedAllocations = []string{victim.ID}
	eval := preemptionEval(low, time.Unix(1700000000, 0))
	notified = nil
	mustApply(t, f, 5, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{
		Job: high, AllocsUpdated: []*structs.Allocation{placed},
		NodePreemptions: []*structs.Allocation{evicted}, PreemptionEvals: []*structs.Evaluation{eval},
	})

	st := f.State()
	got, _ := st.AllocByID(nil, victim.ID)
	if got.DesiredStatus != structs.AllocDesiredStatusEvict || got.PreemptedByAllocation != placed.ID ||
		got.DesiredDescription != "Preempted by alloc ID "+placed.ID || got.Job == nil || got.Job.ID != low.ID ||
		got.ModifyIndex != 5 {
		t.Fatalf("victim after commit %+v, want evicted by %s at index 5 with its job", got, placed.ID)
	}
	newAlloc, _ := st.AllocByID(nil, placed.ID)
	if newAlloc == nil || len(newAlloc.PreemptedAllocations) != 1 || newAlloc.PreemptedAllocations[0] != victim.ID {
		t.Fatalf("new allocation %+v, want PreemptedAllocations [%s]", newAlloc, victim.ID)
	}
	stored, _ := st.EvalByID(nil, eval.ID)
	if stored == nil || stored.TriggeredBy != structs.EvalTriggerPreemption || stored.JobID != low.ID || stored.CreateIndex != 5 {
		t.Fatalf("preemption eval stored as %+v", stored)
	}
	if len(notified) != 1 || notified[0].ID != eval.ID {
		t.Fatalf("evals handed on %v, want the preemption eval", notified)
	}
}
