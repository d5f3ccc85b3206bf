package command

import (
	"fmt"
	"strings"
)

// DeploymentListCommand lists deployments.
type DeploymentListCommand struct{ Meta }

func (c *DeploymentListCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch deployment list [options]

  Lists the deployments of the namespace, newest first.

` + generalOptionsHelp + `

List Options:

  -json
    Output the deployments as JSON.

  -verbose
    Show full IDs.`)
}

func (c *DeploymentListCommand) Synopsis() string { return "List all deployments" }

func (c *DeploymentListCommand) Run(args []string) int {
	var asJSON, verbose bool
	fs := c.FlagSet("deployment list")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	ds, _, err := client.Deployments().List(nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error retrieving deployments: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(ds)
	}
	c.Ui.Output(formatDeploymentList(ds, idLength(verbose)))
	return exitOK
}
