package nomadlike

import (
	"slices"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/reconcile"
)

// watchInput is what the deployment watcher looks at for one active
// deployment: its allocations, the job as stored (nil once purged), the
// job's kept versions (newest first) for auto-revert, and the health
// index it already created an evaluation for.
type watchInput struct {
	Deployment *structs.Deployment
	Allocs     []*structs.Allocation
	Job        *structs.Job
	Versions   []*structs.Job
	SeenHealth uint64
	Now        time.Time
}

// watchAction is what the watcher writes for a deployment: at most one
// of Status (success, or failure with an optional auto-revert job),
// Reschedule (unhealthy allocations marked for replacement, with an
// evaluation) and Promote, else an Eval alone when allocation health
// moved so the scheduler places the next batch. HealthIndex is the health index the
// action accounts for; WakeAt the next deadline to look again at (zero
// for none).
type watchAction struct {
	Status      *structs.DeploymentStatusUpdateRequest
	Reschedule  *structs.AllocUpdateDesiredTransitionRequest
	Promote     *structs.ApplyDeploymentPromoteRequest
	Eval        *structs.Evaluation
	HealthIndex uint64
	WakeAt      time.Time
}

// decideDeployment decides what an active deployment needs now. It has no
// side effects: the loop around it reads state and applies the result.
//
// An unhealthy allocation (a healthy_deadline miss arrives from the
// client as unhealthy) fails the deployment at once when its group has
// no progress_deadline or its reschedule policy allows no further
// replacement; otherwise it is marked for rescheduling, as in Nomad, and
// the scheduler replaces it within the deployment. A group's
// progress_deadline passing without a newly healthy allocation fails the
// deployment. Failing with auto_revert registers the newest stable
// version in the same entry.
// A deployment whose every group runs DesiredTotal healthy allocations of
// its version, canaries promoted, succeeds; the store then marks the
// version stable in the same entry. Canaries of groups with auto_promote
// are promoted once all of them are healthy.
func decideDeployment(in watchInput) watchAction {
	d := in.Deployment
	act := watchAction{HealthIndex: max(in.SeenHealth, healthIndex(in.Allocs))}
	if d.Status != structs.DeploymentStatusRunning {
		return act
	}
	failNow, marks := judgeUnhealthy(in)
	if len(failNow) > 0 {
		act.Status = failRequest(in, structs.DeploymentStatusDescriptionFailedAllocations, failNow)
		return act
	}
	late, wake := missedDeadlines(in)
	if len(late) > 0 {
		act.Status = failRequest(in, structs.DeploymentStatusDescriptionProgressDeadline, late)
		return act
	}
	act.WakeAt = wake
	if len(marks) > 0 {
		act.Reschedule = &structs.AllocUpdateDesiredTransitionRequest{Allocs: marks}
		if ev := deploymentEval(d, in.Job, in.Now); ev != nil {
			act.Reschedule.Evals = []*structs.Evaluation{ev}
		}
		return act
	}
	if complete(d, in.Allocs) {
		act.Status = &structs.DeploymentStatusUpdateRequest{DeploymentUpdate: &structs.DeploymentStatusUpdate{
			DeploymentID: d.ID, Status: structs.DeploymentStatusSuccessful,
			StatusDescription: structs.DeploymentStatusDescriptionSuccessful,
		}, Eval: deploymentEval(d, in.Job, in.Now)}
		// The evaluation stops old allocations whose replacements turned
		// healthy last (surge, blue/green).
		return act
	}
	if d.RequiresPromotion() && d.HasAutoPromote() && canariesHealthy(d, in.Allocs) {
		act.Promote = &structs.ApplyDeploymentPromoteRequest{
			DeploymentPromoteRequest: structs.DeploymentPromoteRequest{DeploymentID: d.ID, All: true},
			Now:                      in.Now,
			Eval:                     deploymentEval(d, in.Job, in.Now),
		}
		return act
	}
	if act.HealthIndex > in.SeenHealth {
		act.Eval = deploymentEval(d, in.Job, in.Now)
	}
	return act
}

func failRequest(in watchInput, base string, groups []string) *structs.DeploymentStatusUpdateRequest {
	update, revert := failDeployment(in.Deployment, base, groups, in.Job, in.Versions)
	return &structs.DeploymentStatusUpdateRequest{
		DeploymentUpdate: update, Job: revert, Eval: deploymentEval(in.Deployment, in.Job, in.Now),
	}
}

// healthIndex is the newest Raft index at which an allocation's health
// changed.
func healthIndex(allocs []*structs.Allocation) uint64 {
	var idx uint64
	for _, a := range allocs {
		if a.DeploymentStatus != nil {
			idx = max(idx, a.DeploymentStatus.ModifyIndex)
		}
	}
	return idx
}

// judgeUnhealthy sorts the deployment's unhealthy allocations that the
// servers have not stopped yet: their groups fail at once (failNow,
// sorted) when the group has no progress_deadline or the allocation's
// reschedule policy is used up (or none applies); the others are marked
// for rescheduling unless they already are.
func judgeUnhealthy(in watchInput) (failNow []string, marks map[string]*structs.DesiredTransition) {
	d := in.Deployment
	for _, a := range in.Allocs {
		if a.DeploymentID != d.ID || !a.DeploymentStatus.IsUnhealthy() || a.ServerTerminalStatus() || a.NextAllocation != "" {
			continue
		}
		job := a.Job
		if job == nil {
			job = in.Job
		}
		st := d.TaskGroups[a.TaskGroup]
		switch {
		case st == nil || st.ProgressDeadline == 0 || job == nil || !reconcile.UnhealthyEligible(job, a, in.Now):
			if !slices.Contains(failNow, a.TaskGroup) {
				failNow = append(failNow, a.TaskGroup)
			}
		case !a.DesiredTransition.ShouldReschedule():
			if marks == nil {
				marks = make(map[string]*structs.DesiredTransition)
			}
			yes := true
			marks[a.ID] = &structs.DesiredTransition{Reschedule: &yes}
		}
	}
	slices.Sort(failNow)
	return failNow, marks
}

// missedDeadlines lists the groups whose progress deadline has passed
// while they still had work to do, and the earliest deadline still
// ahead. A group waiting only for a manual promotion of healthy canaries
// is not late: the operator is.
func missedDeadlines(in watchInput) ([]string, time.Time) {
	var missed []string
	var wake time.Time
	for _, name := range sortedGroupNames(in.Deployment) {
		st := in.Deployment.TaskGroups[name]
		if st.ProgressDeadline == 0 || st.RequireProgressBy.IsZero() || groupDone(in.Deployment, name, st, in.Allocs) {
			continue
		}
		if st.DesiredCanaries > 0 && !st.Promoted && healthyCanaries(in.Deployment, name, in.Allocs) >= st.DesiredCanaries {
			continue
		}
		if !in.Now.Before(st.RequireProgressBy) {
			missed = append(missed, name)
			continue
		}
		if wake.IsZero() || st.RequireProgressBy.Before(wake) {
			wake = st.RequireProgressBy
		}
	}
	return missed, wake
}

func sortedGroupNames(d *structs.Deployment) []string {
	names := make([]string, 0, len(d.TaskGroups))
	for name := range d.TaskGroups {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// groupDone reports whether a group runs DesiredTotal healthy allocations
// of the deployment, its canaries promoted.
func groupDone(d *structs.Deployment, name string, st *structs.DeploymentState, allocs []*structs.Allocation) bool {
	if st.DesiredCanaries > 0 && !st.Promoted {
		return false
	}
	healthy := 0
	for _, a := range allocs {
		if a.DeploymentID == d.ID && a.TaskGroup == name && !a.TerminalStatus() && a.DeploymentStatus.IsHealthy() {
			healthy++
		}
	}
	return healthy >= st.DesiredTotal
}

func complete(d *structs.Deployment, allocs []*structs.Allocation) bool {
	for name, st := range d.TaskGroups {
		if !groupDone(d, name, st, allocs) {
			return false
		}
	}
	return len(d.TaskGroups) > 0
}

func healthyCanaries(d *structs.Deployment, name string, allocs []*structs.Allocation) int {
	n := 0
	for _, a := range allocs {
		if a.DeploymentID == d.ID && a.TaskGroup == name && !a.TerminalStatus() &&
			a.DeploymentStatus.IsCanary() && a.DeploymentStatus.IsHealthy() {
			n++
		}
	}
	return n
}

// canariesHealthy reports whether every group waiting for promotion has
// all its canaries healthy.
func canariesHealthy(d *structs.Deployment, allocs []*structs.Allocation) bool {
	for name, st := range d.TaskGroups {
		if st.DesiredCanaries > 0 && !st.Promoted && healthyCanaries(d, name, allocs) < st.DesiredCanaries {
			return false
		}
	}
	return true
}
