package allocrunner

import (
	"fmt"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Deployment health of an allocation, judged on the client as Nomad's
// allocation health tracker does for health_check = "task_states":
//
//   - healthy once every task that must keep running has been running for
//     min_healthy_time, counted from the latest (re)start of any of them,
//     so a restart starts the wait over;
//   - unhealthy as soon as one of them fails or exits, or the allocation
//     fails, or healthy_deadline passes before it was healthy.
//
// health_check = "checks" (the default) also waits, when the group has
// service checks, for all of them to pass and to have kept passing for
// min_healthy_time; checks that have not passed by healthy_deadline make
// the allocation unhealthy. A group without checks is judged by its task
// states. With "manual" the client does not judge at all.
//
// decideHealth is the whole decision, a pure function of the task states
// and the clock; healthWatcher is the goroutine that feeds it.

// healthInput is what the decision looks at.
type healthInput struct {
	// Tasks are the group's tasks.
	Tasks []*structs.Task
	// States are the tasks' current states, by name.
	States map[string]*structs.TaskState
	// ClientStatus is the allocation's status as the client derives it.
	ClientStatus string
	Strategy     *structs.UpdateStrategy
	// Start is when watching began; healthy_deadline counts from it.
	Start time.Time
	Now   time.Time
	// HasChecks is set when health_check is "checks" and the group has
	// service checks; ChecksPassingSince is then when they last all
	// started passing (zero while any does not pass or has not reported).
	HasChecks          bool
	ChecksPassingSince time.Time
}

// checksPollInterval is how often a watcher waiting on checks looks at
// them again: check results do not wake it.
const checksPollInterval = 250 * time.Millisecond

// healthDecision is the outcome. Until Decided, Recheck is when to decide
// again if no task changes before (zero: only on a change).
type healthDecision struct {
	Decided bool
	Healthy bool
	// Reason says why, for the log.
	Reason  string
	Recheck time.Time
}

// decideHealth judges an allocation's health; see the file comment.
func decideHealth(in healthInput) healthDecision {
	deadline := in.Start.Add(in.Strategy.HealthyDeadline)
	if in.ClientStatus == structs.AllocClientStatusFailed {
		return unhealthy("the allocation failed")
	}
	var lastStart time.Time
	allRunning := true
	for _, task := range in.Tasks {
		st := in.States[task.Name]
		watched, reason := taskHealthRole(task, st)
		if reason != "" {
			return unhealthy(reason)
		}
		if !watched {
			continue
		}
		if st == nil || st.State != structs.TaskStateRunning {
			allRunning = false
			continue
		}
		if started := lastStarted(st); started.After(lastStart) {
			lastStart = started
		}
	}
	if !allRunning {
		if !in.Now.Before(deadline) {
			return unhealthy(fmt.Sprintf("tasks were not all running by the healthy_deadline of %s", in.Strategy.HealthyDeadline))
		}
		return healthDecision{Recheck: deadline}
	}
	healthyAt := lastStart.Add(in.Strategy.MinHealthyTime)
	if in.HasChecks {
		return decideWithChecks(in, healthyAt, deadline)
	}
	switch {
	case healthyAt.After(deadline) && !in.Now.Before(deadline):
		return unhealthy(fmt.Sprintf("tasks did not run for the min_healthy_time of %s by the healthy_deadline of %s",
			in.Strategy.MinHealthyTime, in.Strategy.HealthyDeadline))
	case !healthyAt.After(deadline) && !in.Now.Before(healthyAt):
		return healthDecision{Decided: true, Healthy: true,
			Reason: fmt.Sprintf("tasks running for the min_healthy_time of %s", in.Strategy.MinHealthyTime)}
	case healthyAt.Before(deadline):
		return healthDecision{Recheck: healthyAt}
	}
	return healthDecision{Recheck: deadline}
}

// decideWithChecks is the end of decideHealth for a group whose checks
// count: the tasks must have run for min_healthy_time and the checks must
// have passed for as long.
func decideWithChecks(in healthInput, tasksHealthyAt, deadline time.Time) healthDecision {
	healthyAt := tasksHealthyAt
	if in.ChecksPassingSince.IsZero() {
		healthyAt = time.Time{}
	} else if at := in.ChecksPassingSince.Add(in.Strategy.MinHealthyTime); at.After(healthyAt) {
		healthyAt = at
	}
	switch {
	case !healthyAt.IsZero() && !in.Now.Before(healthyAt) && !healthyAt.After(deadline):
		return healthDecision{Decided: true, Healthy: true,
			Reason: fmt.Sprintf("tasks running and checks passing for the min_healthy_time of %s", in.Strategy.MinHealthyTime)}
	case !in.Now.Before(deadline):
		return unhealthy(fmt.Sprintf("service checks did not pass for the min_healthy_time of %s by the healthy_deadline of %s",
			in.Strategy.MinHealthyTime, in.Strategy.HealthyDeadline))
	}
	next := in.Now.Add(checksPollInterval)
	if !healthyAt.IsZero() && healthyAt.Before(next) {
		next = healthyAt
	}
	if deadline.Before(next) {
		next = deadline
	}
	return healthDecision{Recheck: next}
}

func unhealthy(reason string) healthDecision {
	return healthDecision{Decided: true, Reason: reason}
}

// taskHealthRole says whether a task's state counts toward health, or why
// it makes the allocation unhealthy. Poststop tasks run after the rest and
// never count; a prestart or poststart task that runs to completion
// counts only by failing; every other task (main tasks and sidecars) must
// keep running, so its exit, even a successful one, is unhealthy.
func taskHealthRole(task *structs.Task, st *structs.TaskState) (watched bool, unhealthyReason string) {
	if task.IsPoststop() {
		return false, ""
	}
	failed := st != nil && st.State == structs.TaskStateDead && st.Failed
	if failed {
		return false, fmt.Sprintf("task %q failed", task.Name)
	}
	ephemeral := task.Lifecycle != nil && !task.Lifecycle.Sidecar
	if ephemeral && task.Lifecycle.Hook == structs.TaskLifecycleHookPrestart {
		return false, ""
	}
	dead := st != nil && st.State == structs.TaskStateDead
	if ephemeral && dead {
		return false, "" // a poststart task that completed
	}
	if dead {
		return false, fmt.Sprintf("task %q exited", task.Name)
	}
	return true, ""
}

// lastStarted is when a running task last started. StartedAt keeps the
// first start, so a restart is found from the restart time and the newest
// Started event.
func lastStarted(st *structs.TaskState) time.Time {
	last := st.StartedAt
	if st.LastRestart.After(last) {
		last = st.LastRestart
	}
	for _, e := range st.Events {
		if e.Type == structs.TaskStarted {
			if at := time.Unix(0, e.Time); at.After(last) {
				last = at
			}
		}
	}
	return last
}
