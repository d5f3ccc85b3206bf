package command

import (
	"fmt"
	"strings"
)

// EvalStatusCommand shows an evaluation and why placements failed.
type EvalStatusCommand struct{ Meta }

func (c *EvalStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch eval status [options] <evaluation>

  Shows an evaluation (an ID or a unique prefix) and, if it could not
  place every allocation, why not.

` + generalOptionsHelp + `

Eval Status Options:

  -json
    Print JSON.

  -verbose
    Show full IDs.`)
}

func (c *EvalStatusCommand) Synopsis() string {
	return "Display evaluation status and placement failure reasons"
}

func (c *EvalStatusCommand) Run(args []string) int {
	var asJSON, verbose bool
	fs := c.FlagSet("eval status")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	evalID, err := resolveEvalID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	eval, _, err := client.Evaluations().Info(evalID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying evaluation: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(eval)
	}
	idLen := idLength(verbose)
	c.Ui.Output(formatKV([]string{
		"ID|" + limit(eval.ID, idLen),
		"Create Time|" + formatUnixNano(eval.CreateTime),
		"Modify Time|" + formatUnixNano(eval.ModifyTime),
		"Status|" + eval.Status,
		"Status Description|" + orNone(eval.StatusDescription),
		"Type|" + eval.Type,
		"TriggeredBy|" + eval.TriggeredBy,
		"Job ID|" + eval.JobID,
		"Namespace|" + eval.Namespace,
		fmt.Sprintf("Priority|%d", eval.Priority),
		fmt.Sprintf("Placement Failures|%v", len(eval.FailedTGAllocs) > 0),
	}))
	if len(eval.FailedTGAllocs) > 0 {
		c.Ui.Output("\nFailed Placements")
		c.Ui.Output(placementFailures(eval))
		if eval.BlockedEval != "" {
			c.Ui.Output(fmt.Sprintf("\nEvaluation %q waiting for additional capacity to place remainder", limit(eval.BlockedEval, idLen)))
		}
	}
	return exitOK
}
