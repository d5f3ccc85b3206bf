package scheduler

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/reconcile"
)

// followupWindow groups delayed reschedules into one evaluation when their
// times are this close: a node crash that fails a whole group at once then
// costs one evaluation, not one per allocation.
const followupWindow = 5 * time.Second

// applyStops writes the reconciler's stops into the plan before anything is
// placed, so their resources are free for the placements. A failed
// allocation that is being rescheduled is the exception: it holds no
// resources, and it is only marked stopped once its replacement has found a
// node, so a failed placement leaves it eligible for the next evaluation.
// A running allocation rescheduled because its deployment judged it
// unhealthy does hold resources: it is stopped first, like a destructive
// update, so its replacement may take its place on a full node.
func (s *GenericScheduler) applyStops(res *reconcile.Result) map[*reconcile.Placement]*structs.Allocation {
	stoppedFor := make(map[*reconcile.Placement]*structs.Allocation)
	for _, st := range res.Stop {
		if st.ReplacedBy != nil && st.ReplacedBy.Reschedule && st.Alloc.ClientTerminalStatus() {
			continue
		}
		stopped := s.ctx.AddStopped(st.Alloc, st.Description, st.ClientStatus)
		if st.ReplacedBy != nil {
			stoppedFor[st.ReplacedBy] = stopped
		}
	}
	return stoppedFor
}

// applyInPlace moves allocations to the new job version where only counts
// or meta changed: they keep their node and resources.
func (s *GenericScheduler) applyInPlace(res *reconcile.Result) {
	now := s.now().UnixNano()
	for _, a := range res.InPlace {
		updated := *a
		updated.Job = s.job
		updated.EvalID = s.eval.ID
		updated.ModifyTime = now
		s.ctx.AddUpdated(&updated)
	}
}

// applyDelayed creates the follow-up evaluations of failed allocations
// whose reschedule delay has not passed, and records each evaluation's ID
// on its allocation so later evaluations do not create it again.
func (s *GenericScheduler) applyDelayed(res *reconcile.Result) error {
	delayed := slices.Clone(res.Delayed)
	slices.SortStableFunc(delayed, func(a, b *reconcile.Delayed) int { return a.At.Compare(b.At) })
	var batch []*reconcile.Delayed
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ev := s.followUpEval(structs.EvalStatusPending, structs.EvalTriggerRetryFailedAlloc)
		// The latest time of the batch, so every allocation in it is
		// due when the evaluation runs.
		ev.WaitUntil = batch[len(batch)-1].At
		if err := s.planner.CreateEval(ev); err != nil {
			return fmt.Errorf("creating follow-up eval: %w", err)
		}
		for _, d := range batch {
			s.followups[d.Alloc.ID] = ev
		}
		batch = batch[:0]
		return nil
	}
	for _, d := range delayed {
		if _, ok := s.followups[d.Alloc.ID]; ok {
			continue
		}
		if len(batch) > 0 && d.At.Sub(batch[0].At) > followupWindow {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, d)
	}
	if err := flush(); err != nil {
		return err
	}
	now := s.now().UnixNano()
	for _, d := range res.Delayed {
		updated := *d.Alloc
		updated.FollowupEvalID = s.followups[d.Alloc.ID].ID
		updated.ModifyTime = now
		s.ctx.AddUpdated(&updated)
	}
	return nil
}

// placeAll finds a node for each placement. Once a group fails to place,
// its remaining placements are counted as coalesced failures without
// searching again: the cluster will not change within this evaluation.
func (s *GenericScheduler) placeAll(res *reconcile.Result, stoppedFor map[*reconcile.Placement]*structs.Allocation) error {
	if len(res.Place) == 0 {
		return nil
	}
	nodes, err := s.state.Nodes()
	if err != nil {
		return fmt.Errorf("reading nodes: %w", err)
	}
	limit := s.SampleLimit
	if limit == 0 && s.batch {
		// Batch work is short-lived: placing it fast matters more than
		// packing it tightly.
		limit = feasible.MinLimit
	}
	stack := feasible.NewStack(s.ctx, s.job, feasible.NewCandidates(s.job, nodes), limit)
	for _, p := range res.Place {
		group := p.TaskGroup.Name
		if m, failed := s.failedTG[group]; failed {
			m.CoalescedFailures++
			s.queued[group]++
			continue
		}
		start := s.now()
		stack.SetPenaltyNodes(p.PenaltyNodes())
		opt, metric, err := stack.SelectWith(p.TaskGroup, feasible.SelectOptions{AllocName: p.Name})
		if err == nil && opt == nil && s.preempt {
			opt, metric, err = s.selectPreempting(stack, p.TaskGroup, metric)
		}
		if err != nil {
			return fmt.Errorf("placing %s: %w", p.Name, err)
		}
		metric.AllocationTime = s.now().Sub(start)
		if opt == nil {
			s.failedTG[group] = metric
			s.queued[group]++
			continue
		}
		s.place(p, opt, metric, stoppedFor[p])
	}
	return nil
}

func (s *GenericScheduler) place(p *reconcile.Placement, opt *feasible.Option, metric *structs.AllocMetric, stopped *structs.Allocation) {
	now := s.now().UnixNano()
	alloc := &structs.Allocation{
		ID:                 uuid.NewString(),
		Namespace:          s.job.Namespace,
		EvalID:             s.eval.ID,
		Name:               p.Name,
		NodeID:             opt.Node.ID,
		NodeName:           opt.Node.Name,
		JobID:              s.job.ID,
		Job:                s.job,
		TaskGroup:          p.TaskGroup.Name,
		AllocatedResources: opt.Resources,
		Metrics:            metric,
		DesiredStatus:      structs.AllocDesiredStatusRun,
		ClientStatus:       structs.AllocClientStatusPending,
		CreateTime:         now,
		ModifyTime:         now,
		DeploymentID:       p.DeploymentID,
	}
	if p.Canary {
		alloc.DeploymentStatus = &structs.AllocDeploymentStatus{Canary: true}
		s.canaryPlaced(alloc)
	}
	if p.Previous != nil {
		alloc.PreviousAllocation = p.Previous.ID
		if p.Reschedule {
			if stopped == nil {
				stopped = s.ctx.AddStopped(p.Previous, reconcile.DescRescheduled, "")
			}
			alloc.RescheduleTracker = p.RescheduleTracker
		}
		if stopped != nil {
			stopped.NextAllocation = alloc.ID
		}
	}
	s.applyPreemptions(alloc, opt)
	s.ctx.AddPlaced(alloc)
}
