package command

import (
	"fmt"
	"strings"
	"time"
)

// JobAllocsCommand lists a job's allocations.
type JobAllocsCommand struct {
	Meta
	now func() time.Time
}

func (c *JobAllocsCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job allocs [options] <job>

  Lists the allocations of a job.

` + generalOptionsHelp + `

Allocs Options:

  -all
    Also list allocations of earlier registrations of the job's ID (a job
    purged and registered again), not only of the current one.

  -json
    Print JSON.

  -verbose
    Show full IDs.`)
}

func (c *JobAllocsCommand) Synopsis() string { return "List allocations for a job" }

func (c *JobAllocsCommand) Run(args []string) int {
	var all, asJSON, verbose bool
	fs := c.FlagSet("job allocs")
	fs.BoolVar(&all, "all", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, jobID, ok := c.jobClient(fs.Arg(0))
	if !ok {
		return exitError
	}
	allocs, _, err := client.Jobs().Allocations(jobID, all, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying job allocations: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(allocs)
	}
	if len(allocs) == 0 {
		c.Ui.Output("No allocations placed")
		return exitOK
	}
	now := clockOr(c.now)
	idLen := idLength(verbose)
	c.Ui.Output(allocTable(allocs, idLen, now()))
	return exitOK
}
