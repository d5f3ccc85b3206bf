package command

import (
	"fmt"
	"strings"
)

// DeploymentStatusCommand shows one deployment and its groups.
type DeploymentStatusCommand struct{ Meta }

func (c *DeploymentStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch deployment status [options] <deployment>

  Shows a deployment (an ID or a unique prefix): its job version, status
  and, per task group, how many allocations it wants, has placed and has
  seen healthy or unhealthy, its canaries and its progress deadline.

` + generalOptionsHelp + `

Status Options:

  -json
    Output the deployment as JSON.

  -verbose
    Show full IDs.`)
}

func (c *DeploymentStatusCommand) Synopsis() string { return "Display the status of a deployment" }

func (c *DeploymentStatusCommand) Run(args []string) int {
	var asJSON, verbose bool
	fs := c.FlagSet("deployment status")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	id, err := resolveDeploymentID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	d, _, err := client.Deployments().Info(id, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error retrieving deployment: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(d)
	}
	c.Ui.Output(formatDeployment(d, idLength(verbose)))
	return exitOK
}
