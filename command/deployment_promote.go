package command

import (
	"fmt"
	"strings"

	"github.com/orch-dev/orch/api"
)

// groupsFlag collects a repeatable -group flag.
type groupsFlag []string

func (g *groupsFlag) String() string { return strings.Join(*g, ",") }
func (g *groupsFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("a task group name is required")
	}
	*g = append(*g, v)
	return nil
}

// DeploymentPromoteCommand promotes a deployment's canaries.
type DeploymentPromoteCommand struct{ Meta }

func (c *DeploymentPromoteCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch deployment promote [options] <deployment>

  Promotes the canaries of a deployment (an ID or a unique prefix), so the
  rest of its allocations are replaced. Without -group every group is
  promoted. Every canary promoted must be healthy. The evaluation that
  follows is monitored unless -detach is given.

` + generalOptionsHelp + `

Promote Options:

  -group <name>
    Promote only this task group's canaries; repeat for several groups.

  -detach
    Return right away, printing the evaluation ID.

  -verbose
    Show full IDs.`)
}

func (c *DeploymentPromoteCommand) Synopsis() string { return "Promote canaries in a deployment" }

func (c *DeploymentPromoteCommand) Run(args []string) int {
	var groups groupsFlag
	var w deploymentWrite
	fs := c.FlagSet("deployment promote")
	fs.Var(&groups, "group", "")
	w.flags(fs)
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	return w.run(&c.Meta, fs.Arg(0), "promoting deployment", func(d *api.Deployments, id string) (*api.DeploymentUpdateResponse, error) {
		var resp *api.DeploymentUpdateResponse
		var err error
		if len(groups) == 0 {
			resp, _, err = d.PromoteAll(id, nil)
		} else {
			resp, _, err = d.PromoteGroups(id, groups, nil)
		}
		return resp, err
	}, nil)
}
