package structs

import (
	"fmt"
	"time"
)

// Health checks an UpdateStrategy may name.
const (
	// UpdateHealthCheckChecks judges an allocation by its service checks.
	// Until services exist it behaves exactly as task_states: there is no
	// check to wait for, so the task states alone decide.
	UpdateHealthCheckChecks = "checks"
	// UpdateHealthCheckTaskStates judges an allocation healthy once its
	// tasks have run for MinHealthyTime without failing or restarting.
	UpdateHealthCheckTaskStates = "task_states"
	// UpdateHealthCheckManual leaves health to an operator (or a tool)
	// calling the deployment allocation-health endpoint.
	UpdateHealthCheckManual = "manual"
)

// Nomad's defaults for an update block, which the api package fills in.
const (
	DefaultUpdateStagger          = 30 * time.Second
	DefaultUpdateMaxParallel      = 1
	DefaultUpdateMinHealthyTime   = 10 * time.Second
	DefaultUpdateHealthyDeadline  = 5 * time.Minute
	DefaultUpdateProgressDeadline = 10 * time.Minute
)

// UpdateStrategy is how a group's allocations are replaced when its job
// changes destructively. A deployment tracks the rollout.
//
// MaxSurge is orch's addition to Nomad's fields, with Kubernetes' maxSurge
// meaning: with MaxSurge > 0 the rollout may run up to MaxSurge new
// allocations above the group's count and stops an old allocation only
// once a new one is healthy, so the group never runs below its count.
// MaxParallel then bounds how many allocations may be missing at once (as
// maxUnavailable), and may be 0.
type UpdateStrategy struct {
	Stagger          time.Duration
	MaxParallel      int
	HealthCheck      string
	MinHealthyTime   time.Duration
	HealthyDeadline  time.Duration
	ProgressDeadline time.Duration
	AutoRevert       bool
	AutoPromote      bool
	Canary           int
	MaxSurge         int
}

// IsEmpty reports whether the strategy asks for no deployment: neither
// allocations replaced in parallel nor surged, which is how Nomad spells
// "update disabled" (max_parallel = 0).
func (u *UpdateStrategy) IsEmpty() bool {
	return u == nil || (u.MaxParallel == 0 && u.MaxSurge == 0)
}

// Rolling reports whether the strategy replaces allocations in steps.
func (u *UpdateStrategy) Rolling() bool {
	return u != nil && u.Stagger > 0 && !u.IsEmpty()
}

// WatchesHealth reports whether clients judge an allocation's health
// themselves; with "manual" an operator does.
func (u *UpdateStrategy) WatchesHealth() bool {
	return u != nil && u.HealthCheck != UpdateHealthCheckManual
}

// Copy returns a copy of the strategy.
func (u *UpdateStrategy) Copy() *UpdateStrategy {
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

// validate checks a group's canonical strategy. count is the group's
// count: max_parallel and max_surge above it are refused, since a rollout
// could never use them and the value is most likely a mistake.
func (u *UpdateStrategy) validate(p *problems, path string, count int) {
	switch u.HealthCheck {
	case UpdateHealthCheckChecks, UpdateHealthCheckTaskStates, UpdateHealthCheckManual:
	default:
		p.addf(path+".HealthCheck", "%q is not a health check: want %q, %q or %q", u.HealthCheck,
			UpdateHealthCheckChecks, UpdateHealthCheckTaskStates, UpdateHealthCheckManual)
	}
	if u.MaxParallel < 0 {
		p.addf(path+".MaxParallel", "%d is negative: want 0 (no deployment) or more", u.MaxParallel)
	}
	if count > 0 && u.MaxParallel > count {
		p.addf(path+".MaxParallel", "%d is larger than the group's count %d: at most %d allocations can be replaced at once",
			u.MaxParallel, count, count)
	}
	if u.MaxSurge < 0 {
		p.addf(path+".MaxSurge", "%d is negative: want 0 (no surge) or more", u.MaxSurge)
	}
	if count > 0 && u.MaxSurge > count {
		p.addf(path+".MaxSurge", "%d is larger than the group's count %d: at most %d new allocations can run beside the old ones",
			u.MaxSurge, count, count)
	}
	if u.Canary < 0 {
		p.addf(path+".Canary", "%d is negative: want 0 (no canaries) or more", u.Canary)
	}
	if u.Canary > 0 && u.MaxSurge > 0 {
		p.addf(path+".MaxSurge", "cannot be combined with Canary: canaries already run beside the old allocations; use canary for a promoted rollout or max_surge for a rolling one")
	}
	if u.Canary == 0 && u.AutoPromote {
		p.addf(path+".AutoPromote", "needs Canary above 0: there is nothing to promote")
	}
	u.validateTimes(p, path)
}

func (u *UpdateStrategy) validateTimes(p *problems, path string) {
	if u.Stagger <= 0 {
		p.addf(path+".Stagger", "%s: want more than 0", u.Stagger)
	}
	if u.MinHealthyTime < 0 {
		p.addf(path+".MinHealthyTime", "%s is negative", u.MinHealthyTime)
	}
	if u.HealthyDeadline <= 0 {
		p.addf(path+".HealthyDeadline", "%s: want more than 0", u.HealthyDeadline)
	}
	if u.HealthyDeadline > 0 && u.MinHealthyTime >= u.HealthyDeadline {
		p.addf(path+".HealthyDeadline", "%s is not longer than MinHealthyTime %s: an allocation could never be healthy in time",
			u.HealthyDeadline, u.MinHealthyTime)
	}
	if u.ProgressDeadline < 0 {
		p.addf(path+".ProgressDeadline", "%s is negative: want 0 (no deadline) or more", u.ProgressDeadline)
	}
	if u.ProgressDeadline > 0 && u.ProgressDeadline <= u.HealthyDeadline {
		p.addf(path+".ProgressDeadline", "%s is not longer than HealthyDeadline %s: the deployment would fail before an allocation could be judged",
			u.ProgressDeadline, u.HealthyDeadline)
	}
}

// validateGroupUpdate checks a group's update block against its job: only
// service and system jobs roll out in steps, as in Nomad.
func validateGroupUpdate(p *problems, jobType string, tg *TaskGroup, path string) {
	if tg.Update == nil {
		return
	}
	switch jobType {
	case JobTypeService, JobTypeSystem:
	default:
		p.addf(path+".Update", "job type %q does not allow an update block: only service and system jobs are updated in steps", jobType)
		return
	}
	tg.Update.validate(p, path+".Update", tg.Count)
}

// groupPath is how Validate names a group in its messages.
func groupPath(tg *TaskGroup, index int) string {
	if tg.Name == "" {
		return fmt.Sprintf("TaskGroups[%d]", index)
	}
	return fmt.Sprintf("TaskGroups[%q]", tg.Name)
}
