package reconcile

import (
	"github.com/orch-dev/orch/nomadlike/structs"
)

// DescCanaryPromoted is given to an old allocation stopped because a
// healthy allocation of the new version holds its name.
const DescCanaryPromoted = "alloc not needed due to job update"

// CurrentDeployment is the deployment of the job's current version,
// stored or created by this reconciliation; nil when there is none.
func (r *Result) CurrentDeployment() *structs.Deployment { return r.deployment }

// resolveDeployment finds the deployment of the job's current version and
// cancels an active one of an older version (or of a stopped job): only
// one rollout of a job advances at a time, the newest.
func (r *Result) resolveDeployment(in Input) {
	d := in.Deployment
	if d == nil {
		return
	}
	job := in.Job
	if job != nil && !job.Stop && d.JobVersion == job.Version && d.JobCreateIndex == job.CreateIndex {
		r.deployment = d
		return
	}
	if !d.Active() {
		return
	}
	desc := structs.DeploymentStatusDescriptionNewerJob
	if job == nil || job.Stop {
		desc = structs.DeploymentStatusDescriptionStoppedJob
	}
	r.DeploymentUpdates = append(r.DeploymentUpdates, &structs.DeploymentStatusUpdate{
		DeploymentID: d.ID, Status: structs.DeploymentStatusCancelled, StatusDescription: desc,
	})
}

// groupState returns the group's part of the current deployment, creating
// the deployment or the part as needed; nil when the group's deployment
// failed or was cancelled and nothing may advance.
func (g *groupReconciler) groupState() *structs.DeploymentState {
	r, u := g.r, g.tg.Update
	if d := r.deployment; d != nil && !d.Active() {
		if d.Status == structs.DeploymentStatusSuccessful {
			// Old allocations outlived the success (their replacements
			// turned healthy last): they are stopped, nothing is created.
			return d.TaskGroups[g.tg.Name]
		}
		return nil
	}
	if r.deployment == nil {
		r.deployment = structs.NewDeployment(g.in.NewDeploymentID, g.in.Job, g.in.EvalPriority, g.in.Now)
		r.Deployment = r.deployment
	}
	st, ok := r.deployment.TaskGroups[g.tg.Name]
	if !ok {
		st = &structs.DeploymentState{
			AutoRevert: u.AutoRevert, AutoPromote: u.AutoPromote, ProgressDeadline: u.ProgressDeadline,
			DesiredCanaries: u.Canary, DesiredTotal: g.tg.Count,
		}
		g.updateDeployment()
		r.deployment.TaskGroups[g.tg.Name] = st
	}
	if st.DesiredTotal != g.tg.Count {
		g.updateDeployment()
		st = r.deployment.TaskGroups[g.tg.Name]
		st.DesiredTotal = g.tg.Count
	}
	return st
}

// updateDeployment makes sure the plan carries the current deployment,
// copied so the stored one is not changed.
func (g *groupReconciler) updateDeployment() {
	if g.r.Deployment == nil {
		g.r.deployment = g.r.deployment.Copy()
		g.r.Deployment = g.r.deployment
	}
}

// updatesInPlace reports whether some live allocation is of an older
// version that it can take without being replaced.
func updatesInPlace(current []slot, job *structs.Job) bool {
	for _, s := range current {
		if outdated(s.alloc, job) {
			return true
		}
	}
	return false
}

// joinDeployment is for in-place updates: while the group rolls out
// through a deployment, an allocation updated in place becomes part of
// it with no health yet, as in Nomad, so the client judges it again and
// the deployment counts it towards its desired total (without this a
// revert or a count change whose allocations are partly updated in place
// never reaches its total). The snapshot's allocation is not changed.
func (g *groupReconciler) joinDeployment(a *structs.Allocation) *structs.Allocation {
	if g.deploymentID == "" || a.DeploymentID == g.deploymentID {
		return a
	}
	moved := a.CopySkipJob()
	moved.Job = a.Job
	moved.DeploymentID = g.deploymentID
	moved.DeploymentStatus = nil
	return moved
}

// rolloutSlots splits a group's slots into live allocations of the
// current version (or updatable in place), live ones that need replacing,
// and the rest (lost, failed, done).
type rolloutSlots struct {
	current, old, others []slot
}

func (g *groupReconciler) splitSlots(slots []slot) rolloutSlots {
	var rs rolloutSlots
	for _, s := range slots {
		switch {
		case s.kind != slotLive:
			rs.others = append(rs.others, s)
		case outdated(s.alloc, g.in.Job) && destructiveChange(s.alloc.Job, g.in.Job, g.tg.Name):
			rs.old = append(rs.old, s)
		default:
			rs.current = append(rs.current, s)
		}
	}
	return rs
}

// runDeployment rolls a destructive change of a service group with an
// update strategy out through a deployment. It returns false when the
// group has nothing to roll out, so the plain reconciliation applies.
func (g *groupReconciler) runDeployment(slots []slot) bool {
	if g.in.Job.Type != structs.JobTypeService || g.tg.Update.IsEmpty() {
		return false
	}
	rs := g.splitSlots(slots)
	if len(rs.old) == 0 {
		switch d := g.r.deployment; {
		case d != nil && d.Active():
			if _, ok := d.TaskGroups[g.tg.Name]; ok {
				g.deploymentID = d.ID
			}
		case d == nil && g.tg.Count > 0 && (len(rs.current) < g.tg.Count || updatesInPlace(rs.current, g.in.Job)):
			// A first version, or a new one that only adds allocations
			// (failed ones being replaced count as missing: an auto-revert
			// after every allocation failed) or changes them in place (a
			// count, meta), is deployed too, as in Nomad: its success
			// marks it stable, a version auto_revert can go back to.
			g.groupState()
			g.deploymentID = g.r.deployment.ID
		}
		return false
	}
	st := g.groupState()
	if st == nil {
		// A failed or finished deployment replaces nothing more; only
		// auto-revert (a new version) moves the group again.
		g.keepAll(rs.current, rs.others)
		g.desired.Ignore += len(rs.old)
		return true
	}
	g.deploymentID = g.r.deployment.ID
	g.keepAll(rs.current, rs.others)
	paused := g.r.deployment.Status == structs.DeploymentStatusPaused
	if st.DesiredCanaries > 0 && !st.Promoted {
		g.desired.Ignore += len(rs.old)
		if !paused {
			g.placeCanaries(st, rs)
		}
		return true
	}
	g.roll(rs, paused)
	return true
}

func (g *groupReconciler) keepAll(lists ...[]slot) {
	for _, l := range lists {
		for _, s := range l {
			g.keep(s)
		}
	}
}

// placeCanaries places the canaries still missing, beside the old
// allocations, named after old allocations no canary holds yet.
func (g *groupReconciler) placeCanaries(st *structs.DeploymentState, rs rolloutSlots) {
	held := make(map[int]bool)
	have := 0
	for _, s := range rs.current {
		if s.alloc.DeploymentID == g.deploymentID && s.alloc.DeploymentStatus.IsCanary() {
			held[s.index] = true
			have++
		}
	}
	for _, s := range rs.old {
		if have >= st.DesiredCanaries {
			return
		}
		if held[s.index] {
			continue
		}
		g.r.Place = append(g.r.Place, &Placement{
			TaskGroup: g.tg, Name: AllocName(g.in.Job.ID, g.tg.Name, s.index), Index: s.index,
			DeploymentID: g.deploymentID, Canary: true,
		})
		g.desired.Canary++
		have++
	}
}

// roll replaces old allocations within the strategy's limits. An old
// allocation whose name a healthy new allocation holds (a promoted
// canary, a surged replacement) is stopped at once; one whose name an
// unhealthy-yet new allocation holds waits; the others are replaced at
// most max_parallel at a time, less the deployment's allocations not yet
// healthy, or, with max_surge, started beside them first.
func (g *groupReconciler) roll(rs rolloutSlots, paused bool) {
	holders := make(map[int]bool) // index -> held by a healthy new allocation
	for _, s := range rs.current {
		h := s.alloc.DeploymentID != g.deploymentID || s.alloc.DeploymentStatus.IsHealthy()
		holders[s.index] = holders[s.index] || h
	}
	var free []slot
	waiting := 0
	for _, s := range rs.old {
		healthy, held := holders[s.index]
		switch {
		case held && healthy:
			g.stop(&Stop{Alloc: s.alloc, Description: DescCanaryPromoted})
		case held:
			g.desired.Ignore++
			waiting++
		default:
			free = append(free, s)
		}
	}
	used := make(map[int]bool)
	for _, l := range [][]slot{rs.current, rs.others, free} {
		for _, s := range l {
			used[s.index] = true
		}
	}
	free = g.dropFreeExcess(free, len(used)-g.tg.Count)
	if paused {
		g.desired.Ignore += len(free)
		return
	}
	u := g.tg.Update
	limit := g.limit()
	if u.MaxSurge > 0 {
		room := g.tg.Count + u.MaxSurge - (len(rs.current) + len(rs.others) + len(free) + waiting)
		for len(free) > 0 && room > 0 {
			s := free[0]
			free = free[1:]
			g.place(&Placement{TaskGroup: g.tg, Name: AllocName(g.in.Job.ID, g.tg.Name, s.index), Index: s.index})
			g.desired.Ignore++ // the old allocation stays until its replacement is healthy
			room--
		}
	}
	for i, s := range free {
		if i >= limit {
			g.desired.Ignore++
			continue
		}
		g.desired.Destructive++
		g.replace(&Stop{Alloc: s.alloc, Description: DescUpdating}, s.index, false)
	}
	g.placeMissing(used)
}

// dropFreeExcess stops the highest-indexed replaceable old allocations
// beyond the group's count (a count lowered during the rollout).
func (g *groupReconciler) dropFreeExcess(free []slot, excess int) []slot {
	for excess > 0 && len(free) > 0 {
		last := free[len(free)-1]
		g.stop(&Stop{Alloc: last.alloc, Description: DescNotNeeded})
		free = free[:len(free)-1]
		excess--
	}
	return free
}

// placeMissing fills the names the group's count asks for that nothing
// holds (a count raised during the rollout).
func (g *groupReconciler) placeMissing(used map[int]bool) {
	missing := g.tg.Count - len(used)
	for idx := 0; missing > 0; idx++ {
		if used[idx] {
			continue
		}
		g.place(&Placement{TaskGroup: g.tg, Name: AllocName(g.in.Job.ID, g.tg.Name, idx), Index: idx})
		missing--
	}
}

// limit is how many old allocations may be replaced now, as Nomad counts
// it: max_parallel less the deployment's live allocations of the group
// not yet judged; none at all while one of them is unhealthy and not yet
// replaced (failed ones included, until their reschedule stops them),
// since an unhealthy allocation stops the rollout: a broken version must
// not take down more old allocations while its own are being replaced.
func (g *groupReconciler) limit() int {
	n := g.tg.Update.MaxParallel
	for _, a := range g.in.Allocs {
		if a.TaskGroup != g.tg.Name || a.DeploymentID != g.deploymentID || a.ServerTerminalStatus() {
			continue
		}
		switch {
		case a.DeploymentStatus.IsUnhealthy():
			return 0
		case a.ClientTerminalStatus():
		case !a.DeploymentStatus.IsHealthy():
			n--
		}
	}
	return max(n, 0)
}

// describeNewDeployment says, as Nomad does, whether a deployment this
// reconcile created waits for its canaries to be promoted, by hand or
// automatically, so `deployment status` tells an operator what it waits
// for. Only a new deployment: the watcher and the promote endpoint own the
// description of a stored one.
func (r *Result) describeNewDeployment(in Input) {
	d := r.Deployment
	if d == nil || d.ID != in.NewDeploymentID || !d.RequiresPromotion() {
		return
	}
	d.StatusDescription = structs.DeploymentStatusDescriptionRunningNeedsPromotion
	if d.HasAutoPromote() {
		d.StatusDescription = structs.DeploymentStatusDescriptionRunningAutoPromotion
	}
}
