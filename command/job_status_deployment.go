package command

import (
	"fmt"

	"github.com/orch-dev/orch/api"
)

// showLatestDeployment prints the job's newest deployment, as Nomad's job
// status does; nothing for a job that never had one (or an agent that
// does not serve deployments).
func (c *JobStatusCommand) showLatestDeployment(client *api.Client, job *api.Job, idLen int) int {
	d, _, err := client.Jobs().LatestDeployment(deref(job.ID), nil)
	if api.IsNotFound(err) || (err == nil && d == nil) {
		return exitOK
	}
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying latest job deployment: %v", err))
		return exitError
	}
	c.Ui.Output("\nLatest Deployment")
	out := formatKV([]string{
		"ID|" + limit(d.ID, idLen),
		"Status|" + d.Status,
		"Description|" + d.StatusDescription,
	})
	if len(d.TaskGroups) > 0 {
		out += "\n\nDeployed\n" + formatDeploymentGroups(d)
	}
	c.Ui.Output(out)
	return exitOK
}
