package structs

import "time"

// JobPlanRPC runs the scheduler for a job without committing anything
// (JobPlanRequest, JobPlanResponse): `orch job plan` and /v1/job/:id/plan.
const JobPlanRPC = "Job.Plan"

// Update types of a task group in a plan, as Nomad names them in
// TaskGroupDiff.Updates and prints them after the group in `job plan`.
const (
	UpdateTypeIgnore            = "ignore"
	UpdateTypeCreate            = "create"
	UpdateTypeDestroy           = "destroy"
	UpdateTypeMigrate           = "migrate"
	UpdateTypeCanary            = "canary"
	UpdateTypeInplaceUpdate     = "in-place update"
	UpdateTypeDestructiveUpdate = "create/destroy update"
)

// Annotations of a diff's fields and tasks: what the change makes the
// scheduler do, in Nomad's words.
const (
	AnnotationForcesCreate            = "forces create"
	AnnotationForcesDestroy           = "forces destroy"
	AnnotationForcesInplaceUpdate     = "forces in-place update"
	AnnotationForcesDestructiveUpdate = "forces create/destroy update"
)

// PlanAnnotations explain a plan to a person: the scheduler fills them
// only for evaluations that ask (Evaluation.AnnotatePlan), which only the
// dry run of Job.Plan does.
type PlanAnnotations struct {
	// DesiredTGUpdates counts, per task group, what the scheduler decided
	// to do with the group's allocations.
	DesiredTGUpdates map[string]*DesiredUpdates
	// PreemptedAllocs lists the allocations the plan would evict
	// (Plan.NodePreemptions), sorted by ID.
	PreemptedAllocs []*AllocListStub
}

// DesiredUpdates counts one task group's decisions. A destructive update
// is counted once, as DestructiveUpdate, not also as a stop and a place;
// Place and Stop include placements that would fail for want of room,
// since they are what the scheduler wants, not what fits.
type DesiredUpdates struct {
	Ignore            uint64
	Place             uint64
	Migrate           uint64
	Stop              uint64
	InPlaceUpdate     uint64
	DestructiveUpdate uint64
	// Canary is always 0: orch has no deployments yet.
	Canary      uint64
	Preemptions uint64
	// RescheduleNow and RescheduleLater count failed allocations replaced
	// in this plan and those waiting for their reschedule delay.
	RescheduleNow   uint64
	RescheduleLater uint64
}

// Changes reports whether the updates create or destroy allocations, which
// is what `job plan`'s exit code 1 means: an in-place update does neither.
func (d *DesiredUpdates) Changes() bool {
	return d.Place+d.Stop+d.Migrate+d.DestructiveUpdate+d.Canary > 0
}

// JobPlanRequest asks for a dry run of registering Job. Diff asks for the
// field-level difference with the registered version.
type JobPlanRequest struct {
	Job  *Job
	Diff bool
	// PolicyOverride is accepted for Nomad's clients; orch has no Sentinel
	// policies to override.
	PolicyOverride bool
	WriteRequest
}

// JobPlanResponse is what registering the job would do. Field names are
// Nomad's, so Nomad's clients decode /v1/job/:id/plan unchanged.
type JobPlanResponse struct {
	Annotations *PlanAnnotations
	// FailedTGAllocs explains, per task group, why placements would fail.
	FailedTGAllocs map[string]*AllocMetric
	// JobModifyIndex is the registered job's, 0 when there is none: the
	// value for `job run -check-index` to make sure nothing changed since.
	JobModifyIndex uint64
	// CreatedEvals are the follow-ups the scheduler would create (blocked,
	// or delayed reschedules).
	CreatedEvals []*Evaluation
	Diff         *JobDiff
	// NextPeriodicLaunch is when a periodic job would launch its next
	// child if registered now; zero for other jobs.
	NextPeriodicLaunch time.Time
	Warnings           string
	WriteMeta
}
