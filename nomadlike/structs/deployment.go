package structs

import (
	"fmt"
	"time"
)

// Deployment statuses, as Nomad names them.
const (
	DeploymentStatusRunning    = "running"
	DeploymentStatusPaused     = "paused"
	DeploymentStatusFailed     = "failed"
	DeploymentStatusSuccessful = "successful"
	DeploymentStatusCancelled  = "cancelled"
	DeploymentStatusPending    = "pending"
	DeploymentStatusBlocked    = "blocked"
	DeploymentStatusUnblocking = "unblocking"
)

// Deployment status descriptions, in Nomad's words so that scripts
// matching them keep working.
const (
	DeploymentStatusDescriptionRunning               = "Deployment is running"
	DeploymentStatusDescriptionRunningNeedsPromotion = "Deployment is running but requires manual promotion"
	DeploymentStatusDescriptionRunningAutoPromotion  = "Deployment is running pending automatic promotion"
	DeploymentStatusDescriptionPaused                = "Deployment is paused"
	DeploymentStatusDescriptionSuccessful            = "Deployment completed successfully"
	DeploymentStatusDescriptionStoppedJob            = "Cancelled because job is stopped"
	DeploymentStatusDescriptionNewerJob              = "Cancelled due to newer version of job"
	DeploymentStatusDescriptionFailedAllocations     = "Failed due to unhealthy allocations"
	DeploymentStatusDescriptionProgressDeadline      = "Failed due to progress deadline"
	DeploymentStatusDescriptionFailedByUser          = "Deployment marked as failed"
)

// DeploymentStatusDescriptionRollback is the description of a failed
// deployment whose job goes back to an earlier version.
func DeploymentStatusDescriptionRollback(base string, jobVersion uint64) string {
	return fmt.Sprintf("%s - rolling back to job version %d", base, jobVersion)
}

// DeploymentStatusDescriptionRollbackNoop is the description of a failed
// deployment whose newest stable version has the same specification as
// the failed one, so going back would change nothing.
func DeploymentStatusDescriptionRollbackNoop(base string, jobVersion uint64) string {
	return fmt.Sprintf("%s - not rolling back to stable job version %d as current job has same specification", base, jobVersion)
}

// DeploymentStatusDescriptionNoRollbackTarget is the description of a
// failed deployment with auto_revert but no stable version to go back to.
func DeploymentStatusDescriptionNoRollbackTarget(base string) string {
	return fmt.Sprintf("%s - no stable job version to auto revert to", base)
}

// EvalTriggerDeploymentWatcher marks evaluations created because a
// deployment changed (promoted, resumed, failed, allocation health set).
const EvalTriggerDeploymentWatcher = "deployment-watcher"

// Deployment tracks the rollout of one version of a job: per task group,
// how many allocations it wants, has placed and has seen healthy. The
// scheduler creates it with a plan; clients' health reports and operators'
// promote/pause/fail calls move it; the leader's deployment watcher
// decides when it succeeds or fails.
type Deployment struct {
	ID                 string
	Namespace          string
	JobID              string
	JobVersion         uint64
	JobModifyIndex     uint64
	JobSpecModifyIndex uint64
	JobCreateIndex     uint64
	IsMultiregion      bool
	TaskGroups         map[string]*DeploymentState
	Status             string
	StatusDescription  string
	EvalPriority       int
	CreateIndex        uint64
	ModifyIndex        uint64
	CreateTime         int64
	ModifyTime         int64
}

// DeploymentState is one task group's part of a deployment.
type DeploymentState struct {
	AutoRevert  bool
	AutoPromote bool
	// ProgressDeadline is how long the group may go without a newly
	// healthy allocation; 0 for no deadline.
	ProgressDeadline time.Duration
	// RequireProgressBy is when the deployment fails unless another
	// allocation turns healthy; set with the first placement.
	RequireProgressBy time.Time
	Promoted          bool
	PlacedCanaries    []string
	DesiredCanaries   int
	DesiredTotal      int
	PlacedAllocs      int
	HealthyAllocs     int
	UnhealthyAllocs   int
}

// NewDeployment starts a running deployment of job's current version.
func NewDeployment(id string, job *Job, evalPriority int, now time.Time) *Deployment {
	return &Deployment{
		ID:                 id,
		Namespace:          job.Namespace,
		JobID:              job.ID,
		JobVersion:         job.Version,
		JobModifyIndex:     job.ModifyIndex,
		JobSpecModifyIndex: job.JobModifyIndex,
		JobCreateIndex:     job.CreateIndex,
		TaskGroups:         make(map[string]*DeploymentState, len(job.TaskGroups)),
		Status:             DeploymentStatusRunning,
		StatusDescription:  DeploymentStatusDescriptionRunning,
		EvalPriority:       evalPriority,
		CreateTime:         now.UnixNano(),
		ModifyTime:         now.UnixNano(),
	}
}

// Active reports whether the deployment may still change: it is not
// successful, failed or cancelled.
func (d *Deployment) Active() bool {
	switch d.Status {
	case DeploymentStatusRunning, DeploymentStatusPaused, DeploymentStatusBlocked,
		DeploymentStatusUnblocking, DeploymentStatusPending:
		return true
	}
	return false
}

// GetID returns the ID, or "" for no deployment.
func (d *Deployment) GetID() string {
	if d == nil {
		return ""
	}
	return d.ID
}

// HasPlacedCanaries reports whether any group placed a canary.
func (d *Deployment) HasPlacedCanaries() bool {
	if d == nil {
		return false
	}
	for _, s := range d.TaskGroups {
		if len(s.PlacedCanaries) > 0 {
			return true
		}
	}
	return false
}

// RequiresPromotion reports whether a running deployment waits for a
// group's canaries to be promoted.
func (d *Deployment) RequiresPromotion() bool {
	if d == nil || d.Status != DeploymentStatusRunning {
		return false
	}
	for _, s := range d.TaskGroups {
		if s.DesiredCanaries > 0 && !s.Promoted {
			return true
		}
	}
	return false
}

// HasAutoPromote reports whether every group that waits for promotion
// promotes itself once its canaries are healthy.
func (d *Deployment) HasAutoPromote() bool {
	if d == nil || len(d.TaskGroups) == 0 || d.Status != DeploymentStatusRunning {
		return false
	}
	for _, s := range d.TaskGroups {
		if s.DesiredCanaries > 0 && !s.AutoPromote {
			return false
		}
	}
	return true
}

// Copy returns a deep copy of the deployment.
func (d *Deployment) Copy() *Deployment {
	if d == nil {
		return nil
	}
	c := *d
	if d.TaskGroups != nil {
		c.TaskGroups = make(map[string]*DeploymentState, len(d.TaskGroups))
		for name, s := range d.TaskGroups {
			c.TaskGroups[name] = s.Copy()
		}
	}
	return &c
}

// Copy returns a deep copy of the group's state.
func (s *DeploymentState) Copy() *DeploymentState {
	if s == nil {
		return nil
	}
	c := *s
	if s.PlacedCanaries != nil {
		c.PlacedCanaries = append([]string(nil), s.PlacedCanaries...)
	}
	return &c
}

// AllocDeploymentStatus is an allocation's standing in its deployment.
type AllocDeploymentStatus struct {
	// Healthy is nil until the client (or an operator, with manual health
	// checks) has judged the allocation.
	Healthy *bool
	// Timestamp is when Healthy was set.
	Timestamp time.Time
	// Canary marks an allocation placed as a canary; it stays set after
	// promotion so the reconciler can tell canaries from the rest.
	Canary bool
	// ModifyIndex is the Raft index at which Healthy last changed.
	ModifyIndex uint64
}

// HasHealth reports whether health has been set.
func (s *AllocDeploymentStatus) HasHealth() bool {
	return s != nil && s.Healthy != nil
}

// IsHealthy reports whether the allocation was judged healthy.
func (s *AllocDeploymentStatus) IsHealthy() bool {
	return s.HasHealth() && *s.Healthy
}

// IsUnhealthy reports whether the allocation was judged unhealthy.
func (s *AllocDeploymentStatus) IsUnhealthy() bool {
	return s.HasHealth() && !*s.Healthy
}

// IsCanary reports whether the allocation is a canary.
func (s *AllocDeploymentStatus) IsCanary() bool {
	return s != nil && s.Canary
}

// Copy returns a deep copy.
func (s *AllocDeploymentStatus) Copy() *AllocDeploymentStatus {
	if s == nil {
		return nil
	}
	c := *s
	if s.Healthy != nil {
		h := *s.Healthy
		c.Healthy = &h
	}
	return &c
}

// DeploymentStatusUpdate moves a deployment to a new status.
type DeploymentStatusUpdate struct {
	DeploymentID      string
	Status            string
	StatusDescription string
}
