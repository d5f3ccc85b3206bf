package nomadlike

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// Plan answers what registering args.Job would do, without doing it: the
// job is written into a private snapshot of the state, the real scheduler
// runs an annotated evaluation of it there against a planner that commits
// nothing, and the reply carries the scheduler's per-group decisions, the
// placements that would fail and why, the diff with the registered
// version and that version's modify index (for `job run -check-index`).
// Nothing reaches Raft, so the state index does not move.
func (j *Job) Plan(args *structs.JobPlanRequest, reply *structs.JobPlanResponse) error {
	countRPC(structs.JobPlanRPC)
	if handled, err := j.srv.forward(structs.JobPlanRPC, args, args, reply); handled {
		return err
	}
	if args.Job == nil {
		return fmt.Errorf("job plan: %w: missing job", structs.ErrBadRequest)
	}
	job := args.Job.Copy()
	if job.Namespace == "" {
		job.Namespace = queryNamespace(args.Namespace)
	}
	if job.Region == "" {
		job.Region = j.srv.config.Region
	}
	if err := job.Validate(); err != nil {
		return fmt.Errorf("job plan: %w: invalid job:\n%w", structs.ErrBadRequest, err)
	}
	snap := j.srv.fsm.State().Snapshot()
	existing, err := snap.JobByID(job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("job plan %q: %w", job.ID, err)
	}
	planner, eval, err := j.dryRun(snap, job)
	if err != nil {
		return fmt.Errorf("job plan %q: %w", job.ID, err)
	}
	if plan := planner.lastPlan(); plan != nil {
		scheduler.AnnotatePreemptions(plan)
		reply.Annotations = plan.Annotations
	}
	if updated := planner.lastUpdate(); updated != nil {
		reply.FailedTGAllocs = updated.FailedTGAllocs
	}
	reply.CreatedEvals = planner.createdEvals()
	if existing != nil {
		reply.JobModifyIndex = existing.JobModifyIndex
	}
	if args.Diff {
		diff, err := existing.Diff(job, true)
		if err != nil {
			return fmt.Errorf("job plan %q: %w", job.ID, err)
		}
		scheduler.Annotate(diff, reply.Annotations)
		reply.Diff = diff
	}
	if job.IsPeriodicActive() {
		reply.NextPeriodicLaunch = job.Periodic.Next(j.srv.config.Clock.Now())
	}
	// As Nomad: the index of a plan is the job version it was made
	// against, which is also what -check-index wants.
	reply.Index = reply.JobModifyIndex
	j.srv.logger.Debug("planned job", "job_id", job.ID, "namespace", job.Namespace, "eval_id", eval.ID,
		"failed_groups", len(reply.FailedTGAllocs))
	return nil
}

// dryRun registers job in the snapshot, as the FSM would (versions and
// JobModifyIndex move only when the spec changed), and runs the scheduler
// for it. Writes to a snapshot's store change only the snapshot.
func (j *Job) dryRun(snap *state.StateSnapshot, job *structs.Job) (*dryRunPlanner, *structs.Evaluation, error) {
	if err := snap.Store().UpsertJob(snap.Index()+1, job); err != nil {
		return nil, nil, fmt.Errorf("writing the job into a snapshot: %w", err)
	}
	planned, err := snap.JobByID(job.Namespace, job.ID)
	if err != nil || planned == nil {
		return nil, nil, fmt.Errorf("reading the job back from the snapshot: %w", err)
	}
	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID:             uuid.NewString(),
		Namespace:      job.Namespace,
		Priority:       job.Priority,
		Type:           job.Type,
		TriggeredBy:    structs.EvalTriggerJobRegister,
		JobID:          job.ID,
		JobModifyIndex: planned.JobModifyIndex,
		Status:         structs.EvalStatusPending,
		AnnotatePlan:   true,
		CreateTime:     now,
		ModifyTime:     now,
	}
	planner := &dryRunPlanner{}
	sched, err := j.srv.config.SchedulerFactory(eval.Type, scheduler.Config{
		Logger:  j.srv.logger.Named("job_plan"),
		State:   snap,
		Planner: planner,
	})
	if err != nil {
		return nil, nil, err
	}
	if err := sched.Process(eval); err != nil {
		return nil, nil, fmt.Errorf("scheduling dry run: %w", err)
	}
	return planner, eval, nil
}
