package api

import (
	"slices"
	"time"
)

// Health checks an update block may name.
const (
	UpdateHealthCheckChecks     = "checks"
	UpdateHealthCheckTaskStates = "task_states"
	UpdateHealthCheckManual     = "manual"
)

// UpdateStrategy is the update block: how a destructive change of a group
// rolls out. MaxSurge is orch's addition (Kubernetes' maxSurge): with it
// above 0, up to MaxSurge new allocations start beside the old ones and an
// old one stops only once a new one is healthy, so the group never runs
// below its count; MaxParallel then bounds how many may be missing at
// once and may be 0.
type UpdateStrategy struct {
	Stagger          *time.Duration
	MaxParallel      *int
	HealthCheck      *string
	MinHealthyTime   *time.Duration
	HealthyDeadline  *time.Duration
	ProgressDeadline *time.Duration
	Canary           *int
	AutoRevert       *bool
	AutoPromote      *bool
	MaxSurge         *int
}

// DefaultUpdateStrategy is Nomad's default update block, which a service
// job without one gets.
func DefaultUpdateStrategy() *UpdateStrategy {
	return &UpdateStrategy{
		Stagger:          PointerOf(30 * time.Second),
		MaxParallel:      PointerOf(1),
		HealthCheck:      PointerOf(UpdateHealthCheckChecks),
		MinHealthyTime:   PointerOf(10 * time.Second),
		HealthyDeadline:  PointerOf(5 * time.Minute),
		ProgressDeadline: PointerOf(10 * time.Minute),
		Canary:           PointerOf(0),
		AutoRevert:       PointerOf(false),
		AutoPromote:      PointerOf(false),
		MaxSurge:         PointerOf(0),
	}
}

// Copy returns a deep copy.
func (u *UpdateStrategy) Copy() *UpdateStrategy {
	if u == nil {
		return nil
	}
	c := &UpdateStrategy{}
	c.Merge(u)
	return c
}

// Merge overwrites u's fields with the ones set in o.
func (u *UpdateStrategy) Merge(o *UpdateStrategy) {
	if u == nil || o == nil {
		return
	}
	mergeField(&u.Stagger, o.Stagger)
	mergeField(&u.MaxParallel, o.MaxParallel)
	mergeField(&u.HealthCheck, o.HealthCheck)
	mergeField(&u.MinHealthyTime, o.MinHealthyTime)
	mergeField(&u.HealthyDeadline, o.HealthyDeadline)
	mergeField(&u.ProgressDeadline, o.ProgressDeadline)
	mergeField(&u.Canary, o.Canary)
	mergeField(&u.AutoRevert, o.AutoRevert)
	mergeField(&u.AutoPromote, o.AutoPromote)
	mergeField(&u.MaxSurge, o.MaxSurge)
}

// Canonicalize fills the unset fields with Nomad's defaults.
func (u *UpdateStrategy) Canonicalize() {
	if u == nil {
		return
	}
	d := DefaultUpdateStrategy()
	d.Merge(u)
	*u = *d
}

// Empty reports whether no field is set to a non-zero value. A job-level
// block that is empty is not inherited by the groups: it is what Nomad's
// server returns for a job whose update is disabled, and sending that job
// back must not turn it into a block with defaults.
func (u *UpdateStrategy) Empty() bool {
	if u == nil {
		return true
	}
	set := []bool{
		u.Stagger != nil && *u.Stagger != 0,
		u.MaxParallel != nil && *u.MaxParallel != 0,
		u.HealthCheck != nil && *u.HealthCheck != "",
		u.MinHealthyTime != nil && *u.MinHealthyTime != 0,
		u.HealthyDeadline != nil && *u.HealthyDeadline != 0,
		u.ProgressDeadline != nil && *u.ProgressDeadline != 0,
		u.Canary != nil && *u.Canary != 0,
		u.AutoRevert != nil && *u.AutoRevert,
		u.AutoPromote != nil && *u.AutoPromote,
		u.MaxSurge != nil && *u.MaxSurge != 0,
	}
	return !slices.Contains(set, true)
}

// canonicalizeGroupUpdate gives the group the job's update block merged
// under its own, as Nomad does: the group's fields win, the job's fill the
// rest, and defaults fill what neither set. The job's block must already
// be canonical.
func canonicalizeGroupUpdate(g *TaskGroup, job *Job) {
	var jobUpdate *UpdateStrategy
	if job != nil {
		jobUpdate = job.Update
	}
	switch {
	case jobUpdate != nil && g.Update != nil:
		merged := jobUpdate.Copy()
		merged.Merge(g.Update)
		g.Update = merged
	case jobUpdate != nil && !jobUpdate.Empty():
		g.Update = jobUpdate.Copy()
	}
	g.Update.Canonicalize()
}

// canonicalizeJobUpdate defaults the job's update block: a service job
// without one gets Nomad's default, which its groups then inherit.
func canonicalizeJobUpdate(j *Job) {
	if j.Update != nil {
		j.Update.Canonicalize()
	} else if j.Type != nil && *j.Type == JobTypeService {
		j.Update = DefaultUpdateStrategy()
	}
}
