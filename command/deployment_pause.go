package command

import (
	"fmt"
	"strings"

	"github.com/orch-dev/orch/api"
)

// DeploymentPauseCommand pauses a deployment.
type DeploymentPauseCommand struct{ Meta }

func (c *DeploymentPauseCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch deployment pause [options] <deployment>

  Pauses a deployment (an ID or a unique prefix): no more allocations are
  replaced until "orch deployment resume".

` + generalOptionsHelp + `

Pause Options:

  -verbose
    Show full IDs.`)
}

func (c *DeploymentPauseCommand) Synopsis() string { return "Pause a deployment" }

func (c *DeploymentPauseCommand) Run(args []string) int {
	return runPause(&c.Meta, args, true, c.Help())
}

// DeploymentResumeCommand resumes a paused deployment.
type DeploymentResumeCommand struct{ Meta }

func (c *DeploymentResumeCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch deployment resume [options] <deployment>

  Resumes a paused deployment (an ID or a unique prefix). The evaluation
  that picks the rollout up again is monitored unless -detach is given.

` + generalOptionsHelp + `

Resume Options:

  -detach
    Return right away, printing the evaluation ID.

  -verbose
    Show full IDs.`)
}

func (c *DeploymentResumeCommand) Synopsis() string { return "Resume a paused deployment" }

func (c *DeploymentResumeCommand) Run(args []string) int {
	return runPause(&c.Meta, args, false, c.Help())
}

func runPause(m *Meta, args []string, pause bool, help string) int {
	var w deploymentWrite
	verb, done, what := "resume", "resumed", "resuming deployment"
	if pause {
		verb, done, what = "pause", "paused", "pausing deployment"
	}
	fs := m.FlagSet("deployment " + verb)
	w.flags(fs)
	if !m.parseArgs(fs, args, 1, 1, help) {
		return exitError
	}
	return w.run(m, fs.Arg(0), what,
		func(d *api.Deployments, id string) (*api.DeploymentUpdateResponse, error) {
			resp, _, err := d.Pause(id, pause, nil)
			return resp, err
		},
		func(id string, _ *api.DeploymentUpdateResponse) {
			m.Ui.Output(fmt.Sprintf("Deployment %q %s", limit(id, idLength(w.verbose)), done))
		})
}
