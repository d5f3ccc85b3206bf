package command

import (
	"fmt"
	"strings"
)

// JobPeriodicForceCommand launches a child of a periodic job now.
type JobPeriodicForceCommand struct{ Meta }

func (c *JobPeriodicForceCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job periodic force [options] <job>

  Launches a child of a periodic job now, outside its schedule and
  regardless of prohibit_overlap, and monitors the child's evaluation
  unless -detach is given.

` + generalOptionsHelp + `

Periodic Force Options:

  -detach
    Return right after the launch, printing the evaluation ID.

  -verbose
    Show full IDs.`)
}

func (c *JobPeriodicForceCommand) Synopsis() string { return "Force the launch of a periodic job" }

func (c *JobPeriodicForceCommand) Run(args []string) int {
	var detach, verbose bool
	fs := c.FlagSet("job periodic force")
	fs.BoolVar(&detach, "detach", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, jobID, ok := c.jobClient(fs.Arg(0))
	if !ok {
		return exitError
	}
	evalID, _, err := client.Jobs().PeriodicForce(jobID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error forcing periodic job %q: %v", jobID, err))
		return exitError
	}
	if detach {
		c.Ui.Output("Force periodic successful")
		c.Ui.Output("Evaluation ID: " + evalID)
		return exitOK
	}
	mon := newEvalMonitor(c.Ui, client, verbose)
	if _, code := mon.monitorEval(evalID); code != exitOK {
		return code
	}
	return mon.waitRunning(evalID)
}
