package command

import (
	"fmt"
	"io"
	"strings"

	"github.com/orch-dev/orch/api"
)

// Exit codes of `job plan`, as Nomad's: exitOK when no allocation would be
// created or destroyed, exitPlanChanges when some would, exitPlanError
// when the plan could not be made.
const (
	exitPlanChanges = 1
	exitPlanError   = 255
)

// checkIndexHelp follows the job modify index, with the command to run
// the job only if it is still the version planned against.
const checkIndexHelp = `To submit the job with version verification run:

orch job run -check-index %d %s%s

When running the job with the check-index flag, the job will only be run if the
job modify index given matches the server-side version. If the index has
changed, another user has modified the job and the plan's results are
potentially invalid.`

// JobPlanCommand asks the servers what running a jobspec would do.
type JobPlanCommand struct {
	Meta
	// Stdin replaces os.Stdin for "-" in tests.
	Stdin io.Reader
}

func (c *JobPlanCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job plan [options] <path>

  Runs the scheduler for the job in the jobspec at <path> ("-" reads
  stdin) without changing the cluster, and shows what submitting it would
  do: the difference with the running version, what happens to each task
  group's allocations (create, destroy, in-place update, create/destroy
  update, ignore), and why placements would fail.

  The job modify index printed at the end can be passed to
  "orch job run -check-index", which then runs the job only if nobody
  changed it since the plan.

  Exit codes: 0 no allocations created or destroyed, 1 allocations
  created or destroyed, 255 error.

` + generalOptionsHelp + `

Plan Options:

  -diff=<bool>
    Show the difference with the running version. Defaults to true.

  -policy-override
    Accepted for Nomad compatibility; orch has no policies to override.

  -var 'key=value'
    Set a jobspec variable; may be repeated. Wins over -var-file.

  -var-file=<path>
    Read jobspec variable values ("key = value" lines) from a file; may be
    repeated, later files winning.

  -json
    The file is a JSON job, not HCL.

  -verbose
    Expand added and deleted groups and tasks, and the job's own fields,
    in the diff.`)
}

func (c *JobPlanCommand) Synopsis() string { return "Dry-run a job update to determine its effects" }

func (c *JobPlanCommand) Run(args []string) int {
	var diff, policyOverride, verbose, asJSON bool
	var vars, varFiles stringList
	fs := c.FlagSet("job plan")
	fs.BoolVar(&diff, "diff", true, "")
	fs.BoolVar(&policyOverride, "policy-override", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.Var(&vars, "var", "")
	fs.Var(&varFiles, "var-file", "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitPlanError
	}
	path := fs.Arg(0)
	job, warnings, err := (&JobRunCommand{Meta: c.Meta, Stdin: c.Stdin}).readJob(path, asJSON, vars, varFiles)
	if err != nil {
		c.Ui.Error("Error " + err.Error())
		return exitPlanError
	}
	client, ok := c.client()
	if !ok {
		return exitPlanError
	}
	// The diff is always asked for: the exit code depends on it.
	resp, _, err := client.Jobs().PlanOpts(job, &api.PlanOptions{Diff: true, PolicyOverride: policyOverride}, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error during plan: %v", err))
		return exitPlanError
	}
	if diff {
		c.Ui.Output(formatJobDiff(resp.Diff, verbose) + "\n")
	}
	jobType := ""
	if job.Type != nil {
		jobType = *job.Type
	}
	c.Ui.Output("Scheduler dry-run:")
	c.Ui.Output(formatDryRun(resp, jobType) + "\n")
	if out := formatPreemptions(resp.Annotations, verbose); out != "" {
		c.Ui.Output(out + "\n")
	}
	printWarnings(c.Ui, warnings, resp.Warnings)
	c.Ui.Output(fmt.Sprintf("Job Modify Index: %d", resp.JobModifyIndex))
	c.Ui.Output(fmt.Sprintf(checkIndexHelp, resp.JobModifyIndex, runArgs(vars, varFiles, asJSON), path))
	return planExitCode(resp)
}

// runArgs repeats the flags that shaped the job, so the suggested
// `job run` submits the job that was planned.
func runArgs(vars, varFiles []string, asJSON bool) string {
	var b strings.Builder
	if asJSON {
		b.WriteString("-json ")
	}
	for _, v := range vars {
		fmt.Fprintf(&b, "-var=%q ", v)
	}
	for _, f := range varFiles {
		fmt.Fprintf(&b, "-var-file=%q ", f)
	}
	return b.String()
}
