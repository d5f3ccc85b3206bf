package command

import (
	"fmt"
	"strconv"
	"strings"
)

// JobRevertCommand registers an earlier version of a job again.
type JobRevertCommand struct{ Meta }

func (c *JobRevertCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job revert [options] <job> <version>

  Reverts a job to an earlier version: that version's specification is
  registered again as a new version, and the allocations are updated to it
  as for any change. "orch job history" lists the versions kept.

` + generalOptionsHelp + `

Revert Options:

  -detach
    Return right after the request, printing the evaluation ID.

  -verbose
    Show full IDs.`)
}

func (c *JobRevertCommand) Synopsis() string { return "Revert to a prior version of the job" }

func (c *JobRevertCommand) Run(args []string) int {
	var detach, verbose bool
	fs := c.FlagSet("job revert")
	fs.BoolVar(&detach, "detach", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 2, 2, c.Help()) {
		return exitError
	}
	version, err := strconv.ParseUint(fs.Arg(1), 10, 64)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Version %q is not a version number", fs.Arg(1)))
		return exitError
	}
	client, jobID, ok := c.jobClient(fs.Arg(0))
	if !ok {
		return exitError
	}
	resp, _, err := client.Jobs().Revert(jobID, version, nil, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error reverting job %q to version %d: %v", jobID, version, err))
		return exitError
	}
	if resp.EvalID == "" || detach {
		if resp.EvalID != "" {
			c.Ui.Output(resp.EvalID)
		}
		return exitOK
	}
	mon := newEvalMonitor(c.Ui, client, verbose)
	_, code := mon.monitorEval(resp.EvalID)
	return code
}
