package mock

import (
	"time"

	"github.com/google/uuid"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// DeploymentFor returns a running deployment of job's current version with
// one group state per group, as a scheduler starting a rollout would:
// desired totals and canaries from each group's count and update block,
// nothing placed yet.
func DeploymentFor(job *structs.Job) *structs.Deployment {
	d := structs.NewDeployment(uuid.NewString(), job, job.Priority, time.Unix(1700000000, 0))
	for _, tg := range job.TaskGroups {
		st := &structs.DeploymentState{DesiredTotal: tg.Count}
		if u := tg.Update; u != nil {
			st.AutoRevert, st.AutoPromote = u.AutoRevert, u.AutoPromote
			st.ProgressDeadline = u.ProgressDeadline
			st.DesiredCanaries = u.Canary
		}
		d.TaskGroups[tg.Name] = st
	}
	return d
}

// UpdateStrategy returns Nomad's default update block.
func UpdateStrategy() *structs.UpdateStrategy {
	return &structs.UpdateStrategy{
		Stagger: structs.DefaultUpdateStagger, MaxParallel: structs.DefaultUpdateMaxParallel,
		HealthCheck: structs.UpdateHealthCheckChecks, MinHealthyTime: structs.DefaultUpdateMinHealthyTime,
		HealthyDeadline: structs.DefaultUpdateHealthyDeadline, ProgressDeadline: structs.DefaultUpdateProgressDeadline,
	}
}
