package command

import (
	"fmt"
	"strings"

	"github.com/orch-dev/orch/api"
)

// JobStopCommand stops a job and waits for its allocations to stop.
type JobStopCommand struct{ Meta }

func (c *JobStopCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job stop [options] <job>

  Stops a job: its allocations are stopped and it is marked stopped. With
  -purge the job is also removed, so it no longer shows in "orch status".
  Monitors until every allocation of the job has stopped.

` + generalOptionsHelp + `

Stop Options:

  -purge
    Remove the job entirely instead of only marking it stopped.

  -no-shutdown-delay
    Skip the group's and tasks' shutdown_delay: each allocation's services
    leave the catalog and its tasks are killed straight after, without the
    wait that lets clients drain. Connections still open to the stopped
    allocations will fail.

  -detach
    Return right after the request, printing the evaluation ID.

  -verbose
    Show full IDs.`)
}

func (c *JobStopCommand) Synopsis() string { return "Stop a running job" }

func (c *JobStopCommand) Run(args []string) int {
	var purge, noShutdownDelay, detach, verbose bool
	fs := c.FlagSet("job stop")
	fs.BoolVar(&purge, "purge", false, "")
	fs.BoolVar(&noShutdownDelay, "no-shutdown-delay", false, "")
	fs.BoolVar(&detach, "detach", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.Bool("yes", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, jobID, ok := c.jobClient(fs.Arg(0))
	if !ok {
		return exitError
	}
	opts := &api.DeregisterOptions{Purge: purge, NoShutdownDelay: noShutdownDelay}
	evalID, _, err := client.Jobs().DeregisterOpts(jobID, opts, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error deregistering job: %v", err))
		return exitError
	}
	if evalID == "" || detach {
		if evalID != "" {
			c.Ui.Output(evalID)
		}
		return exitOK
	}
	mon := newEvalMonitor(c.Ui, client, verbose)
	if _, code := mon.monitorEval(evalID); code != exitOK {
		return code
	}
	return mon.waitStopped(jobID)
}
