package structs

import "time"

const (
	EvalStatusBlocked   = "blocked"
	EvalStatusPending   = "pending"
	EvalStatusComplete  = "complete"
	EvalStatusFailed    = "failed"
	EvalStatusCancelled = "canceled"

	EvalTriggerJobRegister      = "job-register"
	EvalTriggerJobDeregister    = "job-deregister"
	EvalTriggerNodeUpdate       = "node-update"
	EvalTriggerRetryFailedAlloc = "alloc-failure"
	EvalTriggerQueuedAllocs     = "queued-allocs"
	EvalTriggerMaxPlans         = "max-plan-attempts"
	// EvalTriggerPreemption re-evaluates a job whose allocations were
	// evicted to make room for a higher-priority job.
	EvalTriggerPreemption = "preemption"
)

// Evaluation is a unit of scheduling work: "look at this job again".
type Evaluation struct {
	ID                string
	Namespace         string
	Priority          int
	Type              string
	TriggeredBy       string
	JobID             string
	JobModifyIndex    uint64
	NodeID            string
	NodeModifyIndex   uint64
	DeploymentID      string
	Status            string
	StatusDescription string
	Wait              time.Duration
	WaitUntil         time.Time
	NextEval          string
	PreviousEval      string
	BlockedEval       string
	// FailedTGAllocs explains, per task group, why placements failed.
	FailedTGAllocs    map[string]*AllocMetric
	QueuedAllocations map[string]int
	SnapshotIndex     uint64
	CreateIndex       uint64
	ModifyIndex       uint64
	CreateTime        int64
	ModifyTime        int64
	// AnnotatePlan asks the scheduler to explain its plan
	// (Plan.Annotations) and to submit it even when it changes nothing.
	// Only Job.Plan's dry run sets it; such evaluations are never stored.
	AnnotatePlan bool

	// ClassEligibility records, for a blocked evaluation, which node
	// computed classes passed (true) or failed (false) the failed groups'
	// driver and constraint checks; a class missing from it was not seen.
	ClassEligibility map[string]bool
	// EscapedComputedClass is set when a constraint reads a unique node
	// target, so ClassEligibility cannot be trusted to rule nodes out.
	EscapedComputedClass bool
}

// TerminalStatus reports whether the evaluation needs no more work.
func (e *Evaluation) TerminalStatus() bool {
	switch e.Status {
	case EvalStatusComplete, EvalStatusFailed, EvalStatusCancelled:
		return true
	}
	return false
}

// Plan is what a scheduler wants changed, submitted to the leader's plan
// applier, which re-checks it against the newest state before committing.
type Plan struct {
	EvalID    string
	EvalToken string
	Priority  int
	// Job is the job the plan was made for; nil when the job was purged.
	Job *Job
	// NodeUpdate holds allocations to stop, by node ID.
	NodeUpdate map[string][]*Allocation
	// NodeAllocation holds allocations to create or update, by node ID.
	NodeAllocation map[string][]*Allocation
	// NodePreemptions holds running allocations of lower-priority jobs
	// to evict, by node ID, so the plan's allocations fit there.
	NodePreemptions map[string][]*Allocation
	// SnapshotIndex is the state index the scheduler planned against.
	SnapshotIndex uint64
	// Annotations are filled only for an evaluation with AnnotatePlan.
	Annotations *PlanAnnotations
	// Deployment is created or updated with the plan's allocations.
	Deployment *Deployment
	// DeploymentUpdates change the status of other deployments of the job
	// (a newer version cancels the one in flight).
	DeploymentUpdates []*DeploymentStatusUpdate
}

// AppendStoppedAlloc records that alloc should stop, with a reason.
func (p *Plan) AppendStoppedAlloc(alloc *Allocation, desc string) {
	stopped := new(Allocation)
	*stopped = *alloc
	stopped.Job = nil
	stopped.DesiredStatus = AllocDesiredStatusStop
	stopped.DesiredDescription = desc
	if p.NodeUpdate == nil {
		p.NodeUpdate = make(map[string][]*Allocation)
	}
	p.NodeUpdate[alloc.NodeID] = append(p.NodeUpdate[alloc.NodeID], stopped)
}

// AppendAlloc records a new or updated allocation.
func (p *Plan) AppendAlloc(alloc *Allocation) {
	if p.NodeAllocation == nil {
		p.NodeAllocation = make(map[string][]*Allocation)
	}
	p.NodeAllocation[alloc.NodeID] = append(p.NodeAllocation[alloc.NodeID], alloc)
}

// AppendPreemptedAlloc records that alloc is evicted to make room for the
// allocation preemptingID, with Nomad's description.
func (p *Plan) AppendPreemptedAlloc(alloc *Allocation, preemptingID string) *Allocation {
	evicted := new(Allocation)
	*evicted = *alloc
	evicted.Job = nil
	evicted.DesiredStatus = AllocDesiredStatusEvict
	evicted.DesiredDescription = PreemptedDescription(preemptingID)
	evicted.PreemptedByAllocation = preemptingID
	if p.NodePreemptions == nil {
		p.NodePreemptions = make(map[string][]*Allocation)
	}
	p.NodePreemptions[alloc.NodeID] = append(p.NodePreemptions[alloc.NodeID], evicted)
	return evicted
}

// PreemptedDescription is the DesiredDescription of an evicted allocation.
func PreemptedDescription(preemptingID string) string {
	return "Preempted by alloc ID " + preemptingID
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0 && len(p.NodePreemptions) == 0 &&
		p.Deployment == nil && len(p.DeploymentUpdates) == 0
}

// PlanResult is what the plan applier committed. It may be a subset of the
// plan when some nodes no longer fit; RefreshIndex then tells the scheduler
// to plan again from a state at least that new.
type PlanResult struct {
	NodeUpdate     map[string][]*Allocation
	NodeAllocation map[string][]*Allocation
	RefreshIndex   uint64
	AllocIndex     uint64

	// NodePreemptions are the committed evictions, by node ID: those of
	// nodes whose placements were committed.
	NodePreemptions map[string][]*Allocation
	// Deployment and DeploymentUpdates are the plan's, when committed.
	Deployment        *Deployment
	DeploymentUpdates []*DeploymentStatusUpdate
}

// IsNoOp reports whether the result commits nothing.
func (r *PlanResult) IsNoOp() bool {
	return len(r.NodeUpdate) == 0 && len(r.NodeAllocation) == 0 && len(r.NodePreemptions) == 0 &&
		r.Deployment == nil && len(r.DeploymentUpdates) == 0
}

// FullCommit reports whether every allocation in plan was committed, with
// the expected and actual counts.
func (r *PlanResult) FullCommit(plan *Plan) (bool, int, int) {
	expected, actual := 0, 0
	for node, allocs := range plan.NodeAllocation {
		expected += len(allocs)
		actual += len(r.NodeAllocation[node])
	}
	return expected == actual, expected, actual
}
