package command

import (
	"flag"
	"fmt"

	"github.com/orch-dev/orch/api"
)

// deploymentWrite is what the deployment verbs that change a deployment
// share: -detach and -verbose, resolving the ID, reporting the answer and
// monitoring the evaluation it created.
type deploymentWrite struct {
	detach, verbose bool
}

func (w *deploymentWrite) flags(fs *flag.FlagSet) {
	fs.BoolVar(&w.detach, "detach", false, "")
	fs.BoolVar(&w.verbose, "verbose", false, "")
}

// run resolves arg to a deployment, calls do and, when the write created
// an evaluation, monitors it unless detached. done, when set, prints the
// outcome first (it gets the full ID and the answer).
func (w *deploymentWrite) run(m *Meta, arg, what string,
	do func(d *api.Deployments, id string) (*api.DeploymentUpdateResponse, error),
	done func(id string, resp *api.DeploymentUpdateResponse)) int {
	client, ok := m.client()
	if !ok {
		return exitError
	}
	id, err := resolveDeploymentID(client, arg)
	if err != nil {
		m.Ui.Error(err.Error())
		return exitError
	}
	resp, err := do(client.Deployments(), id)
	if err != nil {
		m.Ui.Error(fmt.Sprintf("Error %s: %v", what, err))
		return exitError
	}
	if done != nil {
		done(id, resp)
	}
	if resp.EvalID == "" {
		return exitOK
	}
	if w.detach {
		m.Ui.Output("Evaluation ID: " + resp.EvalID)
		return exitOK
	}
	mon := newEvalMonitor(m.Ui, client, w.verbose)
	_, code := mon.monitorEval(resp.EvalID)
	return code
}
