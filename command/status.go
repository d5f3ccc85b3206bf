package command

import "strings"

// StatusCommand is the short form: the job list, or one job's status.
type StatusCommand struct{ Meta }

func (c *StatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch status [options] [job]

  Without a job, lists every job; with one, shows it as
  "orch job status" does.

` + generalOptionsHelp + `

Status Options:

  -json
    Print JSON.`)
}

func (c *StatusCommand) Synopsis() string { return "Display the status of jobs" }

func (c *StatusCommand) Run(args []string) int {
	var asJSON bool
	fs := c.FlagSet("status")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.Bool("verbose", false, "")
	fs.Bool("all-allocs", false, "")
	if !c.parseArgs(fs, args, 0, 1, c.Help()) {
		return exitError
	}
	if fs.NArg() == 1 {
		return (&JobStatusCommand{Meta: c.Meta}).Run(args)
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	return listJobs(&c.Meta, client, asJSON)
}
