package command

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orch-dev/orch/api"
)

// JobValidateCommand checks a jobspec: locally for syntax, then by the
// agent for what only the server knows how to check.
type JobValidateCommand struct{ Meta }

func (c *JobValidateCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job validate [options] <path>

  Checks the jobspec at <path> ("-" reads stdin). Syntax errors are found
  locally and name the file and line; the job is then checked by the agent
  if one can be reached.

` + generalOptionsHelp + `

Validate Options:

  -var 'key=value'
    Set a jobspec variable; may be repeated. Wins over -var-file.

  -var-file=<path>
    Read jobspec variable values ("key = value" lines) from a file; may be
    repeated, later files winning.

  -json
    The file is a JSON job, not HCL.`)
}

func (c *JobValidateCommand) Synopsis() string { return "Checks if a given job specification is valid" }

func (c *JobValidateCommand) Run(args []string) int {
	var asJSON bool
	var vars, varFiles stringList
	fs := c.FlagSet("job validate")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.Var(&vars, "var", "")
	fs.Var(&varFiles, "var-file", "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	job, warnings, err := (&JobRunCommand{Meta: c.Meta}).readJob(fs.Arg(0), asJSON, vars, varFiles)
	if err != nil {
		c.Ui.Error("Error " + err.Error())
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	resp, _, err := client.Jobs().Validate(job, nil)
	var ue *api.UnexpectedResponseError
	switch {
	case err != nil && errors.As(err, &ue):
		c.Ui.Error(fmt.Sprintf("Error validating job: %v", err))
		return exitError
	case err != nil:
		// Without an agent only the local checks ran; say so rather than
		// fail, as the jobspec itself is fine.
		c.Ui.Warn(fmt.Sprintf("Could not reach an agent to validate the job fully: %v", err))
	case len(resp.ValidationErrors) > 0:
		c.Ui.Error("Job validation errors:\n  * " + strings.Join(resp.ValidationErrors, "\n  * "))
		return exitError
	}
	remote := ""
	if err == nil {
		remote = resp.Warnings
	}
	printWarnings(c.Ui, warnings, remote)
	c.Ui.Output("Job validation successful")
	return exitOK
}
