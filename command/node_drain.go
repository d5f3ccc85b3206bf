package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/orch-dev/orch/api"
)

// NodeDrainCommand starts or ends a node drain.
type NodeDrainCommand struct{ Meta }

func (c *NodeDrainCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch node drain [options] <node>

  Toggles the drain of a node (an ID or a unique prefix). A draining node
  takes no new work; its service allocations are migrated to other nodes
  one per group at a time, batch ones left to finish, and everything left
  is stopped at the deadline. When the node is empty the drain ends and the
  node stays ineligible.

` + generalOptionsHelp + `

Node Drain Options:

  -enable
    Start draining the node.

  -disable
    End the drain and make the node eligible again.

  -deadline <duration>
    How long to wait before stopping every remaining allocation. Defaults
    to 1h.

  -force
    Stop every allocation at once (no deadline).

  -no-deadline
    Never force the drain.

  -ignore-system
    Leave system and sysbatch allocations running.

  -keep-ineligible
    With -disable, leave the node ineligible.

  -yes
    Do not ask for confirmation (orch never asks; accepted for Nomad's
    scripts).`)
}

func (c *NodeDrainCommand) Synopsis() string { return "Toggle drain mode on a given node" }

func (c *NodeDrainCommand) Run(args []string) int {
	var enable, disable, force, noDeadline, ignoreSystem, keepIneligible, yes bool
	var deadline time.Duration
	fs := c.FlagSet("node drain")
	fs.BoolVar(&enable, "enable", false, "")
	fs.BoolVar(&disable, "disable", false, "")
	fs.DurationVar(&deadline, "deadline", time.Hour, "")
	fs.BoolVar(&force, "force", false, "")
	fs.BoolVar(&noDeadline, "no-deadline", false, "")
	fs.BoolVar(&ignoreSystem, "ignore-system", false, "")
	fs.BoolVar(&keepIneligible, "keep-ineligible", false, "")
	fs.BoolVar(&yes, "yes", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	switch {
	case enable == disable:
		c.Ui.Error("Exactly one of -enable or -disable is required")
		return exitError
	case force && noDeadline:
		c.Ui.Error("-force and -no-deadline are mutually exclusive")
		return exitError
	case enable && !force && !noDeadline && deadline <= 0:
		c.Ui.Error(fmt.Sprintf("-deadline %s: must be positive (use -force or -no-deadline otherwise)", deadline))
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	nodeID, err := resolveNodeID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	var spec *api.DrainSpec
	if enable {
		spec = &api.DrainSpec{Deadline: deadline, IgnoreSystemJobs: ignoreSystem}
		switch {
		case force:
			spec.Deadline = -1
		case noDeadline:
			spec.Deadline = 0
		}
	}
	if _, err := client.Nodes().UpdateDrain(nodeID, spec, disable && !keepIneligible, nil); err != nil {
		c.Ui.Error(fmt.Sprintf("Error updating drain specification: %v", err))
		return exitError
	}
	if enable {
		c.Ui.Output(fmt.Sprintf("Node %q drain strategy set", nodeID))
	} else {
		c.Ui.Output(fmt.Sprintf("Node %q drain strategy unset", nodeID))
	}
	return exitOK
}

// NodeEligibilityCommand toggles whether a node takes new work.
type NodeEligibilityCommand struct{ Meta }

func (c *NodeEligibilityCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch node eligibility [options] <node>

  Toggles whether the scheduler may place new work on a node (an ID or a
  unique prefix). Running allocations are left alone; a draining node
  cannot be made eligible.

` + generalOptionsHelp + `

Node Eligibility Options:

  -enable
    Make the node eligible.

  -disable
    Make the node ineligible.`)
}

func (c *NodeEligibilityCommand) Synopsis() string {
	return "Toggle scheduling eligibility for a given node"
}

func (c *NodeEligibilityCommand) Run(args []string) int {
	var enable, disable bool
	fs := c.FlagSet("node eligibility")
	fs.BoolVar(&enable, "enable", false, "")
	fs.BoolVar(&disable, "disable", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	if enable == disable {
		c.Ui.Error("Exactly one of -enable or -disable is required")
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	nodeID, err := resolveNodeID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	if _, err := client.Nodes().ToggleEligibility(nodeID, enable, nil); err != nil {
		c.Ui.Error(fmt.Sprintf("Error updating scheduling eligibility: %v", err))
		return exitError
	}
	state := "ineligible"
	if enable {
		state = "eligible"
	}
	c.Ui.Output(fmt.Sprintf("Node %q scheduling eligibility set: %s for scheduling", nodeID, state))
	return exitOK
}
