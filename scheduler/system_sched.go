package scheduler

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/reconcile"
)

// DescNodeIneligible is given to a system allocation stopped because its
// node no longer takes work (ineligible, draining, or out of the job's
// datacenters or pool).
const DescNodeIneligible = "alloc not needed as node is not eligible"

// SystemScheduler schedules system jobs (one allocation of each group on
// every eligible node, for as long as the node stays eligible) and sysbatch
// jobs (one successful run per eligible node). It shares the attempt loop's
// outcome handling with GenericScheduler: failed placements, blocked and
// follow-up evaluations are recorded the same way.
type SystemScheduler struct {
	*GenericScheduler
	sysbatch bool
	// desired counts the decisions of the current attempt per group, for
	// the plan's annotations.
	desired *systemDesired
	// cand are the job's candidate nodes of the current attempt.
	cand feasible.Candidates
}

var _ Scheduler = (*SystemScheduler)(nil)

// NewSystemScheduler returns the scheduler for system (sysbatch false) or
// sysbatch jobs.
func NewSystemScheduler(cfg Config, sysbatch bool) (*SystemScheduler, error) {
	g, err := NewGenericScheduler(cfg, sysbatch)
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	g.logger = logger.Named("system_sched")
	return &SystemScheduler{GenericScheduler: g, sysbatch: sysbatch}, nil
}

// Process plans one evaluation of a system or sysbatch job; see
// GenericScheduler.Process for the error contract.
func (s *SystemScheduler) Process(eval *structs.Evaluation) error {
	return s.process(eval, s.attemptSystem)
}

func (s *SystemScheduler) attemptSystem(logger hclog.Logger, attempt int) (bool, error) {
	job, err := s.state.JobByID(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("reading job: %w", err)
	}
	allocs, err := s.state.AllocsByJob(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("reading allocations of job: %w", err)
	}
	nodes, err := s.state.Nodes()
	if err != nil {
		return false, fmt.Errorf("reading nodes: %w", err)
	}
	s.job = job
	s.plan = &structs.Plan{
		EvalID: s.eval.ID, Priority: s.eval.Priority, Job: job, SnapshotIndex: s.state.Index(),
	}
	s.ctx = feasible.NewContext(logger, s.state, s.plan, job, s.rng(attempt))
	if err := s.configure(); err != nil {
		return false, err
	}
	s.failedTG = make(map[string]*structs.AllocMetric)
	s.queued = make(map[string]int)
	s.desired = newSystemDesired(job)
	if job == nil || job.Stop {
		for _, a := range allocs {
			if !a.TerminalStatus() {
				s.ctx.AddStopped(a, reconcile.DescJobStopped, "")
				s.desired.group(a.TaskGroup).Stop++
			}
		}
	} else {
		if err := s.reconcileNodes(job, allocs, nodes); err != nil {
			return false, err
		}
	}
	if s.eval.AnnotatePlan {
		s.plan.Annotations = &structs.PlanAnnotations{DesiredTGUpdates: s.desired.groups}
	}
	if s.plan.IsNoOp() && !s.eval.AnnotatePlan {
		return true, nil
	}
	return s.submit(logger)
}

// reconcileNodes decides, for every node and group, whether to keep, stop,
// update or place the group's allocation there.
func (s *SystemScheduler) reconcileNodes(job *structs.Job, allocs []*structs.Allocation, nodes []*structs.Node) error {
	cand := feasible.NewCandidates(job, nodes)
	s.cand = cand
	eligible := make(map[string]bool, len(cand.Nodes))
	for _, n := range cand.Nodes {
		eligible[n.ID] = true
	}
	byNode := make(map[string]*structs.Node, len(nodes))
	for _, n := range nodes {
		byNode[n.ID] = n
	}
	// existing[group][node] is the allocation that covers the node, if
	// any: a live one, or for sysbatch a completed run of this version.
	existing := make(map[string]map[string]*structs.Allocation, len(job.TaskGroups))
	for _, tg := range job.TaskGroups {
		existing[tg.Name] = make(map[string]*structs.Allocation)
		s.queued[tg.Name] = 0
	}
	for _, a := range allocs {
		s.classify(job, a, byNode[a.NodeID], eligible, existing)
	}
	// One stack for every node: its per-node caches (feasibility
	// verdicts, usage) then serve all groups, and building a stack per
	// node would cost more than the placement on it.
	stack := feasible.NewStack(s.ctx, job, cand, 1)
	for _, tg := range job.TaskGroups {
		for i, node := range stack.Nodes() {
			if existing[tg.Name][node.ID] != nil {
				continue
			}
			if err := s.placeOn(stack, tg, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// classify stops a if it must not stay where it is and otherwise records
// it in existing as covering its node.
func (s *SystemScheduler) classify(job *structs.Job, a *structs.Allocation, node *structs.Node,
	eligible map[string]bool, existing map[string]map[string]*structs.Allocation) {
	covered, ok := existing[a.TaskGroup]
	desired := s.desired.group(a.TaskGroup)
	if a.TerminalStatus() {
		// A sysbatch run that succeeded is not repeated for the same
		// version; anything else terminal leaves its node uncovered.
		if s.sysbatch && ok && a.ClientStatus == structs.AllocClientStatusComplete &&
			!reconcile.Outdated(a, job) && covered[a.NodeID] == nil {
			covered[a.NodeID] = a
			desired.Ignore++
		}
		return
	}
	switch {
	case !ok:
		s.ctx.AddStopped(a, reconcile.DescGroupRemoved, "")
		desired.Stop++
	case node == nil || node.Status == structs.NodeStatusDown:
		s.ctx.AddStopped(a, reconcile.DescLost, structs.AllocClientStatusLost)
		desired.Stop++
	case !eligible[a.NodeID]:
		s.ctx.AddStopped(a, DescNodeIneligible, "")
		desired.Stop++
	case covered[a.NodeID] != nil:
		// Two live allocations of one group on a node: keep one.
		s.ctx.AddStopped(a, reconcile.DescNotNeeded, "")
		desired.Stop++
	case !reconcile.Outdated(a, job):
		covered[a.NodeID] = a
		desired.Ignore++
	case reconcile.DestructiveChange(a.Job, job, a.TaskGroup):
		// Stopped first so its resources are free for the replacement
		// placed on the same node by reconcileNodes.
		s.ctx.AddStopped(a, reconcile.DescUpdating, "")
		s.desired.replacing(a.TaskGroup, a.NodeID)
	default:
		updated := *a
		updated.Job = job
		updated.EvalID = s.eval.ID
		updated.ModifyTime = s.now().UnixNano()
		s.ctx.AddUpdated(&updated)
		covered[a.NodeID] = &updated
		desired.InPlaceUpdate++
	}
}

// placeOn runs the feasibility chain for the stack's node i. A node the
// group's drivers or constraints rule out is simply not a target of the
// job; a node that qualifies but lacks resources is a failed placement,
// reported in FailedTGAllocs with its metrics merged into the group's.
func (s *SystemScheduler) placeOn(stack *feasible.Stack, tg *structs.TaskGroup, i int) error {
	node := stack.Nodes()[i]
	start := s.now()
	opt, metric, err := stack.SelectAt(tg, i)
	if err == nil && opt == nil && metric.NodesExhausted > 0 && s.preempt {
		// The shared stack would search every node for victims; a system
		// allocation may only preempt on its own node.
		one := s.cand
		one.Nodes = []*structs.Node{node}
		opt, metric, err = s.selectPreempting(feasible.NewStack(s.ctx, s.job, one, 1), tg, metric)
	}
	if err != nil {
		return fmt.Errorf("placing %s on node %s: %w", tg.Name, node.ID, err)
	}
	metric.AllocationTime = s.now().Sub(start)
	if opt == nil {
		exhausted := metric.NodesExhausted > 0
		s.desired.placed(tg.Name, node.ID, exhausted)
		if exhausted {
			s.queued[tg.Name]++
			s.recordFailure(tg.Name, metric)
		}
		return nil
	}
	s.desired.placed(tg.Name, node.ID, true)
	now := s.now().UnixNano()
	alloc := &structs.Allocation{
		ID:                 uuid.NewString(),
		Namespace:          s.job.Namespace,
		EvalID:             s.eval.ID,
		Name:               reconcile.AllocName(s.job.ID, tg.Name, 0),
		NodeID:             node.ID,
		NodeName:           node.Name,
		JobID:              s.job.ID,
		Job:                s.job,
		TaskGroup:          tg.Name,
		AllocatedResources: opt.Resources,
		Metrics:            metric,
		DesiredStatus:      structs.AllocDesiredStatusRun,
		ClientStatus:       structs.AllocClientStatusPending,
		CreateTime:         now,
		ModifyTime:         now,
	}
	s.applyPreemptions(alloc, opt)
	s.ctx.AddPlaced(alloc)
	return nil
}

// recordFailure folds one node's failed placement into the group's metric,
// so the evaluation says how many nodes were exhausted and on what.
func (s *SystemScheduler) recordFailure(group string, m *structs.AllocMetric) {
	acc, ok := s.failedTG[group]
	if !ok {
		s.failedTG[group] = m
		return
	}
	acc.CoalescedFailures++
	acc.NodesEvaluated += m.NodesEvaluated
	acc.NodesFiltered += m.NodesFiltered
	acc.NodesExhausted += m.NodesExhausted
	acc.AllocationTime += m.AllocationTime
	acc.ConstraintFiltered = mergeCounts(acc.ConstraintFiltered, m.ConstraintFiltered)
	acc.ClassFiltered = mergeCounts(acc.ClassFiltered, m.ClassFiltered)
	acc.ClassExhausted = mergeCounts(acc.ClassExhausted, m.ClassExhausted)
	acc.DimensionExhausted = mergeCounts(acc.DimensionExhausted, m.DimensionExhausted)
}

func mergeCounts(dst, src map[string]int) map[string]int {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}
