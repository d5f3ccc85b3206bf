package nomadlike

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// preemptionEvals returns the evictions of a committed plan that still
// mean something, in node order, and one pending evaluation (triggered by
// "preemption") per job they belong to, so each evicted allocation is
// placed again elsewhere or, finding no room, blocks until there is some.
// The evaluations are built here rather than in the FSM because their IDs
// must be the same on every server. An allocation already stopped,
// finished or gone in snap is skipped: evicting it frees nothing, and its
// job needs no evaluation for it.
func preemptionEvals(snap scheduler.State, byNode map[string][]*structs.Allocation,
	now time.Time) ([]*structs.Allocation, []*structs.Evaluation, error) {
	var evicted []*structs.Allocation
	var evals []*structs.Evaluation
	seen := make(map[[2]string]bool)
	for _, nodeID := range sortedPlanNodes(byNode) {
		stored, err := snap.AllocsByNode(nodeID)
		if err != nil {
			return nil, nil, fmt.Errorf("read allocations of node %s: %w", nodeID, err)
		}
		live := make(map[string]*structs.Allocation, len(stored))
		for _, a := range stored {
			if !a.TerminalStatus() {
				live[a.ID] = a
			}
		}
		for _, a := range byNode[nodeID] {
			cur, ok := live[a.ID]
			if !ok {
				continue
			}
			c := *a
			c.Job = nil
			evicted = append(evicted, &c)
			job, err := snap.JobByID(cur.Namespace, cur.JobID)
			if err != nil {
				return nil, nil, fmt.Errorf("read job %s of preempted allocation %s: %w", cur.JobID, cur.ID, err)
			}
			key := [2]string{cur.Namespace, cur.JobID}
			if job == nil || job.Stop || seen[key] {
				// A stopped or purged job wants nothing placed again.
				continue
			}
			seen[key] = true
			evals = append(evals, preemptionEval(job, now))
		}
	}
	return evicted, evals, nil
}

func preemptionEval(job *structs.Job, now time.Time) *structs.Evaluation {
	return &structs.Evaluation{
		ID:                uuid.NewString(),
		Namespace:         job.Namespace,
		Priority:          job.Priority,
		Type:              job.Type,
		TriggeredBy:       structs.EvalTriggerPreemption,
		JobID:             job.ID,
		JobModifyIndex:    job.JobModifyIndex,
		Status:            structs.EvalStatusPending,
		StatusDescription: "created to replace allocations preempted by a higher-priority job",
		CreateTime:        now.UnixNano(),
		ModifyTime:        now.UnixNano(),
	}
}
