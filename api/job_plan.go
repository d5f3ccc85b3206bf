package api

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

// PlanOptions tune a plan request.
type PlanOptions struct {
	// Diff asks for the field-level diff with the registered version.
	Diff bool
	// PolicyOverride is sent for Nomad compatibility; orch has no
	// policies to override.
	PolicyOverride bool
}

// Plan asks what registering job would do, without registering it; diff
// asks for the field-level diff with the registered version.
func (j *Jobs) Plan(job *Job, diff bool, q *WriteOptions) (*JobPlanResponse, *WriteMeta, error) {
	return j.PlanOpts(job, &PlanOptions{Diff: diff}, q)
}

// PlanOpts is Plan with options.
func (j *Jobs) PlanOpts(job *Job, opts *PlanOptions, q *WriteOptions) (*JobPlanResponse, *WriteMeta, error) {
	if job == nil {
		return nil, nil, errors.New("plan: job is required")
	}
	if job.ID == nil || *job.ID == "" {
		return nil, nil, errors.New("plan: job ID is required")
	}
	req := &JobPlanRequest{Job: job}
	if opts != nil {
		req.Diff = opts.Diff
		req.PolicyOverride = opts.PolicyOverride
	}
	var resp JobPlanResponse
	wm, err := j.client.write(http.MethodPut, "/v1/job/"+url.PathEscape(*job.ID)+"/plan", req, &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, wm, nil
}

// JobPlanRequest is the body of PUT /v1/job/:id/plan.
type JobPlanRequest struct {
	Job            *Job
	Diff           bool
	PolicyOverride bool
	WriteRequest
}

// JobPlanResponse is what registering the job would do.
type JobPlanResponse struct {
	// JobModifyIndex is the registered job's (0 when it does not exist):
	// pass it to `job run -check-index` to run only that version's plan.
	JobModifyIndex uint64
	CreatedEvals   []*Evaluation
	Diff           *JobDiff
	Annotations    *PlanAnnotations
	FailedTGAllocs map[string]*AllocationMetric
	// NextPeriodicLaunch is zero for jobs that are not periodic.
	NextPeriodicLaunch time.Time
	Warnings           string
}

// Diff types of JobDiff, TaskGroupDiff, TaskDiff, ObjectDiff and FieldDiff.
const (
	DiffTypeNone    = "None"
	DiffTypeAdded   = "Added"
	DiffTypeDeleted = "Deleted"
	DiffTypeEdited  = "Edited"
)

// JobDiff is the field-level difference between two versions of a job.
type JobDiff struct {
	Type       string
	ID         string
	Fields     []*FieldDiff
	Objects    []*ObjectDiff
	TaskGroups []*TaskGroupDiff
}

// TaskGroupDiff is one group's difference; Updates counts allocations per
// update type ("create", "in-place update", ...).
type TaskGroupDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
	Tasks   []*TaskDiff
	Updates map[string]uint64
}

// TaskDiff is one task's difference; Annotations say what it forces.
type TaskDiff struct {
	Type        string
	Name        string
	Fields      []*FieldDiff
	Objects     []*ObjectDiff
	Annotations []string
}

// FieldDiff is one value's difference.
type FieldDiff struct {
	Type        string
	Name        string
	Old, New    string
	Annotations []string
}

// ObjectDiff is one block's difference.
type ObjectDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
}

// PlanAnnotations are the scheduler's per-group decisions.
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates
	PreemptedAllocs  []*AllocationListStub
}

// DesiredUpdates counts one group's decisions.
type DesiredUpdates struct {
	Ignore            uint64
	Place             uint64
	Migrate           uint64
	Stop              uint64
	InPlaceUpdate     uint64
	DestructiveUpdate uint64
	Canary            uint64
	Preemptions       uint64
	RescheduleNow     uint64
	RescheduleLater   uint64
}
