package command

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/cli"

	"github.com/orch-dev/orch/api"
)

// Exit codes of commands that monitor an evaluation, as Nomad's.
const (
	exitOK        = 0
	exitError     = 1
	exitPlacement = 2
)

// defaultMonitorWait is how long each blocking query of a monitor waits
// for a change before asking again.
const defaultMonitorWait = time.Minute

// evalMonitor follows an evaluation and the allocations it made, using
// blocking queries so it wakes exactly when something changes.
type evalMonitor struct {
	ui     cli.Ui
	client *api.Client
	idLen  int
	now    func() time.Time
	wait   time.Duration
	// tty is stdout when it is a terminal: deployment progress is then
	// redrawn in place.
	tty io.Writer
	// deploymentAllocs adds the deployment's allocations to each frame
	// of its progress (deployment status -monitor -verbose, as Nomad).
	deploymentAllocs bool
}

func newEvalMonitor(ui cli.Ui, client *api.Client, verbose bool) *evalMonitor {
	m := &evalMonitor{ui: ui, client: client, idLen: shortIDLength, now: time.Now, wait: defaultMonitorWait, tty: terminalOut()}
	if verbose {
		m.idLen = 0
	}
	return m
}

func (m *evalMonitor) header(format string, args ...interface{}) {
	m.ui.Output(fmt.Sprintf("==> %s: %s", formatTime(m.now()), fmt.Sprintf(format, args...)))
}

func (m *evalMonitor) line(format string, args ...interface{}) {
	m.ui.Output(fmt.Sprintf("    %s: %s", formatTime(m.now()), fmt.Sprintf(format, args...)))
}

// monitorEval follows evalID until it is terminal, printing its status
// changes and the allocations it creates, and returns the final
// evaluation, or an exit code other than exitOK.
func (m *evalMonitor) monitorEval(evalID string) (*api.Evaluation, int) {
	m.header("Monitoring evaluation %q", limit(evalID, m.idLen))
	var (
		index  uint64
		status string
		seen   = map[string]bool{}
	)
	for {
		eval, qm, err := m.client.Evaluations().Info(evalID, &api.QueryOptions{WaitIndex: index, WaitTime: m.wait})
		if err != nil {
			m.ui.Error(fmt.Sprintf("Error reading evaluation: %v", err))
			return nil, exitError
		}
		switch {
		case status == "":
			m.line("Evaluation triggered by job %q", eval.JobID)
		case status != eval.Status:
			m.line("Evaluation status changed: %q -> %q", status, eval.Status)
		}
		status = eval.Status
		allocs, _, err := m.client.Evaluations().Allocations(evalID, nil)
		if err != nil {
			m.ui.Error(fmt.Sprintf("Error reading allocations of the evaluation: %v", err))
			return nil, exitError
		}
		sort.Slice(allocs, func(i, j int) bool { return allocs[i].Name < allocs[j].Name })
		for _, a := range allocs {
			if !seen[a.ID] {
				seen[a.ID] = true
				// An allocation older than the evaluation was updated in
				// place rather than placed by it.
				verb := "created"
				if a.CreateIndex < eval.CreateIndex {
					verb = "modified"
				}
				m.line("Allocation %q %s: node %q, group %q",
					limit(a.ID, m.idLen), verb, limit(a.NodeID, m.idLen), a.TaskGroup)
			}
		}
		if evalTerminal(eval) {
			return eval, m.reportEval(eval)
		}
		index = qm.LastIndex
	}
}

func evalTerminal(e *api.Evaluation) bool {
	switch e.Status {
	case "complete", "failed", "canceled":
		return true
	}
	return false
}

// reportEval prints how the evaluation ended and whether placement failed.
func (m *evalMonitor) reportEval(eval *api.Evaluation) int {
	id := limit(eval.ID, m.idLen)
	if len(eval.FailedTGAllocs) > 0 {
		m.header("Evaluation %q finished with status %q but failed to place all allocations:", id, eval.Status)
		m.ui.Output(indent(placementFailures(eval), "    "))
		if eval.BlockedEval != "" {
			m.line("Evaluation %q waiting for additional capacity to place remainder", limit(eval.BlockedEval, m.idLen))
		}
		return exitPlacement
	}
	m.header("Evaluation %q finished with status %q", id, eval.Status)
	if eval.Status != "complete" {
		if eval.StatusDescription != "" {
			m.line("Evaluation status description: %s", eval.StatusDescription)
		}
		return exitPlacement
	}
	return exitOK
}

// waitRunning waits until every allocation the evaluation placed runs (or,
// for batch work, has finished), and fails as soon as one fails.
func (m *evalMonitor) waitRunning(evalID string) int {
	var index uint64
	for {
		allocs, qm, err := m.client.Evaluations().Allocations(evalID, &api.QueryOptions{WaitIndex: index, WaitTime: m.wait})
		if err != nil {
			m.ui.Error(fmt.Sprintf("Error reading allocations of the evaluation: %v", err))
			return exitError
		}
		live, running := 0, 0
		for _, a := range allocs {
			if a.DesiredStatus != api.AllocDesiredStatusRun {
				continue
			}
			live++
			switch a.ClientStatus {
			case api.AllocClientStatusRunning, api.AllocClientStatusComplete:
				running++
			case api.AllocClientStatusFailed, api.AllocClientStatusLost:
				m.header("Allocation %q %s: %s", limit(a.ID, m.idLen), a.ClientStatus, allocFailureReason(a))
				return exitPlacement
			}
		}
		if running == live {
			m.header("Evaluation %q: %d/%d allocations running", limit(evalID, m.idLen), running, live)
			return exitOK
		}
		index = qm.LastIndex
	}
}

// waitStopped waits until no allocation of the job is still running.
func (m *evalMonitor) waitStopped(jobID string) int {
	var index uint64
	for {
		allocs, qm, err := m.client.Jobs().Allocations(jobID, false, &api.QueryOptions{WaitIndex: index, WaitTime: m.wait})
		if err != nil && !api.IsNotFound(err) {
			m.ui.Error(fmt.Sprintf("Error reading allocations of job %q: %v", jobID, err))
			return exitError
		}
		left := 0
		for _, a := range allocs {
			if a.ClientStatus == api.AllocClientStatusPending || a.ClientStatus == api.AllocClientStatusRunning {
				left++
			}
		}
		if left == 0 {
			m.header("All allocations of job %q stopped", jobID)
			return exitOK
		}
		if qm == nil {
			return exitOK
		}
		index = qm.LastIndex
	}
}

// allocFailureReason is the best explanation a list row has: the client's
// description, else the last task event that says something.
func allocFailureReason(a *api.AllocationListStub) string {
	if a.ClientDescription != "" {
		return a.ClientDescription
	}
	names := make([]string, 0, len(a.TaskStates))
	for n := range a.TaskStates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ev := a.TaskStates[n].Events
		for i := len(ev) - 1; i >= 0; i-- {
			if msg := eventMessage(ev[i]); msg != "" {
				return fmt.Sprintf("task %q: %s", n, msg)
			}
		}
	}
	return "no reason given"
}

func eventMessage(e *api.TaskEvent) string {
	switch {
	case e.DisplayMessage != "":
		return e.DisplayMessage
	case e.DriverError != "":
		return e.DriverError
	case e.Message != "":
		return e.Message
	}
	return ""
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
