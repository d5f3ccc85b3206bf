package scheduler

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/reconcile"
)

const (
	// maxPlanAttempts bounds how often one evaluation re-plans after a
	// partial commit; beyond it, contention is better resolved by a fresh
	// evaluation than by spinning.
	maxPlanAttempts = 5
)

// GenericScheduler schedules service and batch jobs: it keeps each task
// group at its count, replaces failed and lost allocations and rolls out
// new job versions.
type GenericScheduler struct {
	logger  hclog.Logger
	state   State
	planner Planner
	now     func() time.Time
	batch   bool

	// SampleLimit overrides how many fitting nodes each placement scores
	// before choosing (feasible.DefaultLimit when zero). Benchmarks use it
	// to weigh packing quality against speed.
	SampleLimit int

	eval *structs.Evaluation
	job  *structs.Job
	plan *structs.Plan
	ctx  *feasible.Context

	// followups holds the delayed-reschedule evaluations created so far,
	// by failed allocation ID, so a retried attempt reuses them instead of
	// creating duplicates.
	followups map[string]*structs.Evaluation
	failedTG  map[string]*structs.AllocMetric
	queued    map[string]int
	// preempt is set when the scheduler configuration lets this job's
	// type evict lower-priority allocations.
	preempt bool
	// deploymentID is the rollout the evaluation moved, recorded in it.
	deploymentID string
}

var _ Scheduler = (*GenericScheduler)(nil)

// NewGenericScheduler returns the scheduler for service (batch false) or
// batch jobs.
func NewGenericScheduler(cfg Config, batch bool) (*GenericScheduler, error) {
	if cfg.State == nil || cfg.Planner == nil {
		return nil, errors.New("new scheduler: config needs both State and Planner")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &GenericScheduler{
		logger:  logger.Named("generic_sched"),
		state:   cfg.State,
		planner: cfg.Planner,
		now:     now,
		batch:   batch,
	}, nil
}

// Process plans one evaluation and records its outcome through the
// Planner. It returns an error only when state could not be read or the
// Planner failed; the worker should then nack the evaluation so it is
// retried. Running out of plan attempts is an outcome, not an error.
func (s *GenericScheduler) Process(eval *structs.Evaluation) error {
	return s.process(eval, s.attempt)
}

// process runs attempt until a plan commits fully or the attempts run out;
// the generic and system schedulers differ only in what one attempt plans.
func (s *GenericScheduler) process(eval *structs.Evaluation, attempt func(hclog.Logger, int) (bool, error)) error {
	s.eval = eval
	s.followups = make(map[string]*structs.Evaluation)
	logger := s.logger.With("eval_id", eval.ID, "job_id", eval.JobID, "namespace", eval.Namespace)
	for n := 1; n <= maxPlanAttempts; n++ {
		done, err := attempt(logger, n)
		if err != nil {
			return fmt.Errorf("eval %s: %w", eval.ID, err)
		}
		if done {
			return s.finish(logger)
		}
		logger.Debug("plan committed partially; planning again from refreshed state", "attempt", n)
	}
	return s.giveUp(logger)
}

// attempt plans once against the current snapshot and submits the plan.
// It returns true when there is nothing left to retry.
func (s *GenericScheduler) attempt(logger hclog.Logger, attempt int) (bool, error) {
	job, err := s.state.JobByID(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("reading job: %w", err)
	}
	allocs, err := s.state.AllocsByJob(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("reading allocations of job: %w", err)
	}
	tainted, err := s.taintedNodes(allocs)
	if err != nil {
		return false, err
	}
	s.job = job
	deployment, err := latestDeployment(s.state, s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, err
	}
	res := reconcile.Reconcile(reconcile.Input{
		Job: job, Allocs: allocs, TaintedNodes: tainted, EvalID: s.eval.ID, Now: s.now(),
		Deployment: deployment, NewDeploymentID: uuid.NewString(), EvalPriority: s.eval.Priority,
	})
	for group, d := range res.Desired {
		logger.Debug("reconciled task group", "group", group, "desired", d.String())
	}
	s.plan = &structs.Plan{
		EvalID: s.eval.ID, Priority: s.eval.Priority, Job: job, SnapshotIndex: s.state.Index(),
		Deployment: res.Deployment, DeploymentUpdates: res.DeploymentUpdates,
	}
	if s.eval.AnnotatePlan {
		s.plan.Annotations = &structs.PlanAnnotations{DesiredTGUpdates: desiredTGUpdates(res.Desired)}
	}
	s.ctx = feasible.NewContext(logger, s.state, s.plan, job, s.rng(attempt))
	if err := s.configure(); err != nil {
		return false, err
	}
	s.failedTG = make(map[string]*structs.AllocMetric)
	s.queued = make(map[string]int)
	if job != nil {
		for _, tg := range job.TaskGroups {
			s.queued[tg.Name] = 0
		}
	}
	if d := res.CurrentDeployment(); d != nil {
		// The evaluation names the rollout it moved, so "job run" can
		// follow it.
		s.deploymentID = d.ID
	}
	stoppedFor := s.applyStops(res)
	s.applyInPlace(res)
	if err := s.applyDelayed(res); err != nil {
		return false, err
	}
	if err := s.placeAll(res, stoppedFor); err != nil {
		return false, err
	}
	if s.plan.IsNoOp() && !s.eval.AnnotatePlan {
		return true, nil
	}
	return s.submit(logger)
}

func (s *GenericScheduler) submit(logger hclog.Logger) (bool, error) {
	result, fresh, err := s.planner.SubmitPlan(s.plan)
	if err != nil {
		return false, fmt.Errorf("submitting plan: %w", err)
	}
	if result == nil {
		return false, errors.New("submitting plan: planner returned no result")
	}
	full, expected, actual := result.FullCommit(s.plan)
	if full {
		return true, nil
	}
	logger.Debug("plan applier rejected part of the plan", "expected", expected, "committed", actual)
	if fresh == nil {
		return false, errors.New("submitting plan: partial commit without a refreshed state")
	}
	s.state = fresh
	return false, nil
}

// rng seeds the node shuffle and port picks from the evaluation ID, so a
// replay of the evaluation against the same snapshot decides the same
// way; the attempt number varies the order after a partial commit.
func (s *GenericScheduler) rng(attempt int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(s.eval.ID))
	seed := h.Sum64()
	return rand.New(rand.NewPCG(seed, uint64(attempt)))
}

// taintedNodes returns the IDs of nodes, among those holding a running
// allocation of the job, that are down or gone.
func (s *GenericScheduler) taintedNodes(allocs []*structs.Allocation) (map[string]bool, error) {
	out := make(map[string]bool)
	seen := make(map[string]bool)
	for _, a := range allocs {
		if a.TerminalStatus() || seen[a.NodeID] {
			continue
		}
		seen[a.NodeID] = true
		node, err := s.state.NodeByID(a.NodeID)
		if err != nil {
			return nil, fmt.Errorf("reading node %s: %w", a.NodeID, err)
		}
		if node == nil || node.Status == structs.NodeStatusDown {
			out[a.NodeID] = true
		}
	}
	return out, nil
}

// finish records the evaluation as complete, with a blocked evaluation to
// retry the placements that found no node once the cluster changes.
func (s *GenericScheduler) finish(logger hclog.Logger) error {
	eval := s.outcome(structs.EvalStatusComplete, "")
	if len(s.failedTG) > 0 {
		eval.FailedTGAllocs = s.failedTG
		blocked := s.blockedEval(structs.EvalTriggerQueuedAllocs, slices.Collect(maps.Keys(s.failedTG)))
		if err := s.planner.CreateEval(blocked); err != nil {
			return fmt.Errorf("eval %s: creating blocked eval: %w", s.eval.ID, err)
		}
		eval.BlockedEval = blocked.ID
		logger.Debug("some placements failed; created blocked eval", "blocked_eval_id", blocked.ID)
	}
	if err := s.planner.UpdateEval(eval); err != nil {
		return fmt.Errorf("eval %s: updating eval: %w", s.eval.ID, err)
	}
	return nil
}

// giveUp fails the evaluation after maxPlanAttempts partial commits and
// leaves a blocked evaluation to try again, as Nomad does: the server
// re-runs it when capacity changes on a class it could use, and at the
// latest on its periodic sweep of evaluations blocked by plan failures
// (BlockedEvals.UnblockFailed), by which time the contention has settled.
func (s *GenericScheduler) giveUp(logger hclog.Logger) error {
	var groups []string
	if s.job != nil {
		for _, tg := range s.job.TaskGroups {
			groups = append(groups, tg.Name)
		}
	}
	blocked := s.blockedEval(structs.EvalTriggerMaxPlans, groups)
	if err := s.planner.CreateEval(blocked); err != nil {
		return fmt.Errorf("eval %s: creating blocked eval: %w", s.eval.ID, err)
	}
	eval := s.outcome(structs.EvalStatusFailed, fmt.Sprintf("maximum attempts reached (%d)", maxPlanAttempts))
	eval.BlockedEval = blocked.ID
	logger.Warn("plan attempts exhausted; evaluation failed", "attempts", maxPlanAttempts, "blocked_eval_id", blocked.ID)
	if err := s.planner.UpdateEval(eval); err != nil {
		return fmt.Errorf("eval %s: updating eval: %w", s.eval.ID, err)
	}
	return nil
}

func (s *GenericScheduler) outcome(status, desc string) *structs.Evaluation {
	eval := *s.eval
	if s.deploymentID != "" {
		eval.DeploymentID = s.deploymentID
	}
	eval.Status = status
	eval.StatusDescription = desc
	eval.QueuedAllocations = s.queued
	eval.SnapshotIndex = s.state.Index()
	eval.ModifyTime = s.now().UnixNano()
	return &eval
}

// blockedEval returns a blocked follow-up carrying what this evaluation
// learned about computed classes for groups, the ones it still has to
// place, so the server unblocks it only for nodes that could help.
func (s *GenericScheduler) blockedEval(trigger string, groups []string) *structs.Evaluation {
	e := s.followUpEval(structs.EvalStatusBlocked, trigger)
	if s.ctx != nil {
		elig := s.ctx.Eligibility()
		e.ClassEligibility = elig.Classes(groups)
		e.EscapedComputedClass = elig.Escaped(groups)
	}
	return e
}

// followUpEval returns a new evaluation of the same job, chained to this
// one.
func (s *GenericScheduler) followUpEval(status, trigger string) *structs.Evaluation {
	desc := map[string]string{
		structs.EvalTriggerQueuedAllocs:     "created to place remaining allocations",
		structs.EvalTriggerRetryFailedAlloc: "created for delayed rescheduling of failed allocations",
		structs.EvalTriggerMaxPlans:         "created due to placement conflicts",
	}[trigger]
	e := &structs.Evaluation{
		StatusDescription: desc,
		ID:                uuid.NewString(),
		Namespace:         s.eval.Namespace,
		Priority:          s.eval.Priority,
		Type:              s.eval.Type,
		TriggeredBy:       trigger,
		JobID:             s.eval.JobID,
		Status:            status,
		PreviousEval:      s.eval.ID,
		CreateTime:        s.now().UnixNano(),
	}
	e.ModifyTime = e.CreateTime
	if s.job != nil {
		e.JobModifyIndex = s.job.JobModifyIndex
	}
	return e
}
