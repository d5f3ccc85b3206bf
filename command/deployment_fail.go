package command

import (
	"fmt"
	"strings"

	"github.com/orch-dev/orch/api"
)

// DeploymentFailCommand marks a deployment failed.
type DeploymentFailCommand struct{ Meta }

func (c *DeploymentFailCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch deployment fail [options] <deployment>

  Marks a deployment (an ID or a unique prefix) as failed: no more
  allocations are replaced. When a group of the deployment has
  auto_revert set, the job goes back to its newest stable version. The
  evaluation that follows is monitored unless -detach is given.

` + generalOptionsHelp + `

Fail Options:

  -detach
    Return right away, printing the evaluation ID.

  -verbose
    Show full IDs.`)
}

func (c *DeploymentFailCommand) Synopsis() string { return "Manually fail a deployment" }

func (c *DeploymentFailCommand) Run(args []string) int {
	var w deploymentWrite
	fs := c.FlagSet("deployment fail")
	w.flags(fs)
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	return w.run(&c.Meta, fs.Arg(0), "failing deployment",
		func(d *api.Deployments, id string) (*api.DeploymentUpdateResponse, error) {
			resp, _, err := d.Fail(id, nil)
			return resp, err
		},
		func(id string, resp *api.DeploymentUpdateResponse) {
			short := limit(id, idLength(w.verbose))
			if resp.RevertedJobVersion == nil {
				c.Ui.Output(fmt.Sprintf("Deployment %q failed", short))
				return
			}
			c.Ui.Output(fmt.Sprintf("Deployment %q failed. Auto-reverted to job version %d.", short, *resp.RevertedJobVersion))
		})
}
