package nomadlike

import (
	"time"

	"github.com/google/uuid"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Decisions shared by the deployment endpoints and the leader's
// deployment watcher. They are pure functions of state read beforehand,
// so they are table-tested without a server.

// failDeployment decides what failing d means: the status update and,
// when one of the groups in autoRevertGroups (nil: all of d's groups) has
// auto_revert set, the job to register again: the newest stable version
// older than d's, unless its specification is the same as current's
// (going back would change nothing, and would fail again). versions are
// the job's kept versions, newest first; current is the job now, nil when
// it was purged.
func failDeployment(d *structs.Deployment, base string, autoRevertGroups []string,
	current *structs.Job, versions []*structs.Job) (*structs.DeploymentStatusUpdate, *structs.Job) {
	u := &structs.DeploymentStatusUpdate{
		DeploymentID:      d.ID,
		Status:            structs.DeploymentStatusFailed,
		StatusDescription: base,
	}
	if current == nil || !wantsAutoRevert(d, autoRevertGroups) {
		return u, nil
	}
	var stable *structs.Job
	for _, v := range versions {
		if v.Stable && v.Version < d.JobVersion {
			stable = v
			break
		}
	}
	switch {
	case stable == nil:
		u.StatusDescription = structs.DeploymentStatusDescriptionNoRollbackTarget(base)
		return u, nil
	case !current.SpecChanged(stable):
		u.StatusDescription = structs.DeploymentStatusDescriptionRollbackNoop(base, stable.Version)
		return u, nil
	}
	u.StatusDescription = structs.DeploymentStatusDescriptionRollback(base, stable.Version)
	return u, stable.Copy()
}

func wantsAutoRevert(d *structs.Deployment, groups []string) bool {
	if groups == nil {
		for _, st := range d.TaskGroups {
			if st.AutoRevert {
				return true
			}
		}
		return false
	}
	for _, g := range groups {
		if st, ok := d.TaskGroups[g]; ok && st.AutoRevert {
			return true
		}
	}
	return false
}

// resumeDescription is the description of a deployment taken out of
// pause: it says whether it now waits for a promotion.
func resumeDescription(d *structs.Deployment) string {
	running := d.Copy()
	running.Status = structs.DeploymentStatusRunning
	switch {
	case running.RequiresPromotion() && running.HasAutoPromote():
		return structs.DeploymentStatusDescriptionRunningAutoPromotion
	case running.RequiresPromotion():
		return structs.DeploymentStatusDescriptionRunningNeedsPromotion
	}
	return structs.DeploymentStatusDescriptionRunning
}

// deploymentEval is the evaluation that makes the scheduler act on a
// change to d; nil when the job is gone, since there is nothing left to
// schedule.
func deploymentEval(d *structs.Deployment, job *structs.Job, now time.Time) *structs.Evaluation {
	if job == nil {
		return nil
	}
	priority := d.EvalPriority
	if priority == 0 {
		priority = job.Priority
	}
	return &structs.Evaluation{
		ID:             uuid.NewString(),
		Namespace:      d.Namespace,
		Priority:       priority,
		Type:           job.Type,
		TriggeredBy:    structs.EvalTriggerDeploymentWatcher,
		JobID:          d.JobID,
		JobModifyIndex: job.JobModifyIndex,
		DeploymentID:   d.ID,
		Status:         structs.EvalStatusPending,
		CreateTime:     now.UnixNano(),
		ModifyTime:     now.UnixNano(),
	}
}
