package command

import (
	"fmt"
	"strings"
	"time"
)

// DeploymentStatusCommand shows one deployment and its groups.
type DeploymentStatusCommand struct{ Meta }

func (c *DeploymentStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch deployment status [options] <deployment>

  Shows a deployment (an ID or a unique prefix): its job version, status
  and, per task group, how many allocations it wants, has placed and has
  seen healthy or unhealthy, its canaries and its progress deadline.

  With -monitor the command follows the deployment until it ends,
  redrawing its progress in place on a terminal and printing it again on
  every change otherwise. When the deployment fails and auto_revert
  rolls the job back, the rollback's deployment is followed too. As
  Nomad's, the command then exits 0 whatever the outcome (the last status
  printed tells it); "orch job run" is the one that exits 1 on a failed
  deployment. Exit 1 means the deployment could not be read.

` + generalOptionsHelp + `

Status Options:

  -json
    Output the deployment as JSON. Cannot be combined with -monitor.

  -monitor
    Follow the deployment until it succeeds, fails or is cancelled.

  -wait <duration>
    With -monitor, how long each query waits for a change before asking
    again. Defaults to 2s.

  -verbose
    Show full IDs; with -monitor, also list the deployment's
    allocations and their health in every update.`)
}

func (c *DeploymentStatusCommand) Synopsis() string { return "Display the status of a deployment" }

func (c *DeploymentStatusCommand) Run(args []string) int {
	var asJSON, verbose, monitor bool
	var wait time.Duration
	fs := c.FlagSet("deployment status")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.BoolVar(&monitor, "monitor", false, "")
	fs.DurationVar(&wait, "wait", 2*time.Second, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	if monitor && asJSON {
		c.Ui.Error("The -monitor flag cannot be used with the -json flag: -monitor prints progress as it happens, -json one final document")
		return exitError
	}
	if wait <= 0 {
		c.Ui.Error(fmt.Sprintf("-wait %s: want a positive duration such as 2s", wait))
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
	if monitor {
		mon := newEvalMonitor(c.Ui, client, verbose)
		mon.wait = wait
		mon.deploymentAllocs = verbose
		return c.monitor(mon, id)
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

// monitor follows the deployment, then the rollback an auto_revert
// started, if any. A rollback registers a new job version, so each
// rollback deployment is newer than the one before and the chain ends.
func (c *DeploymentStatusCommand) monitor(mon *evalMonitor, id string) int {
	for id != "" {
		d, err := mon.followDeployment(id)
		if err == nil {
			d, err = mon.rollbackDeployment(d)
		}
		if err != nil {
			c.Ui.Error("Error " + err.Error())
			return exitError
		}
		id = ""
		if d != nil {
			c.Ui.Output("")
			id = d.ID
		}
	}
	return exitOK
}
