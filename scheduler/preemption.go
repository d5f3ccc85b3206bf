package scheduler

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/feasible"
)

// configure applies the scheduler configuration of the attempt's snapshot:
// the fit algorithm, memory oversubscription, and whether this job's type
// may preempt. It runs once the attempt's context exists.
func (s *GenericScheduler) configure() error {
	cfg, err := s.state.SchedulerConfig()
	if err != nil {
		return fmt.Errorf("reading scheduler configuration: %w", err)
	}
	s.ctx.SetSchedulerConfig(cfg)
	s.preempt = s.job != nil && cfg.PreemptionEnabled(s.job.Type)
	return nil
}

// selectPreempting retries a placement that found no node with room by
// evicting lower-priority allocations. When no eviction helps either, the
// failed placement keeps the metric of the first search, which says why
// nodes had no room.
func (s *GenericScheduler) selectPreempting(stack *feasible.Stack, tg *structs.TaskGroup,
	failed *structs.AllocMetric) (*feasible.Option, *structs.AllocMetric, error) {
	opt, m, err := stack.SelectPreempting(tg, s.job.Priority)
	if err != nil || opt == nil {
		return nil, failed, err
	}
	return opt, m, nil
}

// applyPreemptions records in the plan the evictions alloc's node choice
// needs, and links both sides as Nomad does. It must run before alloc is
// added to the plan, so the node's usage is rebuilt without the victims.
func (s *GenericScheduler) applyPreemptions(alloc *structs.Allocation, opt *feasible.Option) {
	for _, v := range opt.Preempted {
		s.ctx.AddPreempted(v, alloc.ID)
		alloc.PreemptedAllocations = append(alloc.PreemptedAllocations, v.ID)
	}
	if len(opt.Preempted) > 0 {
		s.logger.Debug("placement preempts allocations", "alloc_id", alloc.ID, "node_id", alloc.NodeID,
			"preempted", alloc.PreemptedAllocations)
	}
}
