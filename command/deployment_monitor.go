package command

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/orch-dev/orch/api"
)

// terminalOut returns stdout when it is a terminal, so progress can be
// redrawn in place; nil otherwise (a pipe, a file, a CI log), where only
// changes are printed, line by line.
func terminalOut() io.Writer {
	if isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd()) {
		return os.Stdout
	}
	return nil
}

// monitorDeployment follows a deployment until it is no longer active,
// showing its per-group progress, and returns exitOK when it succeeded,
// exitError when it failed or was cancelled (with the reason).
func (m *evalMonitor) monitorDeployment(id string) int {
	d, err := m.followDeployment(id)
	if err != nil {
		m.ui.Error("Error " + err.Error())
		return exitError
	}
	if d.Status != api.DeploymentStatusSuccessful {
		return exitError
	}
	return exitOK
}

// followDeployment shows a deployment's progress until it ends and
// returns it as it ended; the error is only for failing to read it.
func (m *evalMonitor) followDeployment(id string) (*api.Deployment, error) {
	m.header("Monitoring deployment %q", limit(id, m.idLen))
	var (
		index uint64
		last  string
		drawn int
	)
	for {
		wait := m.wait
		if m.tty != nil {
			wait = time.Second // redraw the time left every second
		}
		d, meta, err := m.client.Deployments().Info(id, &api.QueryOptions{WaitIndex: index, WaitTime: wait})
		if err != nil {
			return nil, fmt.Errorf("reading deployment %q: %w", id, err)
		}
		index = meta.LastIndex
		// Without a terminal the time left is left out, so a line is
		// printed only when the deployment changes.
		text := deploymentProgress(d, m.now(), m.tty != nil)
		if m.deploymentAllocs {
			allocs, _, err := m.client.Deployments().Allocations(id, nil)
			if err != nil {
				return nil, fmt.Errorf("reading the allocations of deployment %q: %w", id, err)
			}
			text += "\n\n    Allocations\n" + indent(deploymentAllocTable(allocs, m.idLen), "    ")
		}
		if m.tty != nil {
			// Move up over the previous frame and clear it before
			// drawing the new one.
			if drawn > 0 {
				fmt.Fprintf(m.tty, "\x1b[%dA\x1b[J", drawn)
			}
			fmt.Fprintln(m.tty, text)
			drawn = strings.Count(text, "\n") + 1
		} else if text != last {
			m.ui.Output(text)
		}
		last = text
		switch d.Status {
		case api.DeploymentStatusSuccessful:
			m.header("Deployment %q successful", limit(id, m.idLen))
			return d, nil
		case api.DeploymentStatusFailed, api.DeploymentStatusCancelled:
			m.ui.Error(fmt.Sprintf("Deployment %q %s: %s", limit(id, m.idLen), d.Status, d.StatusDescription))
			return d, nil
		}
	}
}

// rollbackDeployment finds the deployment that rolls d's job back after d
// failed with auto_revert, or nil when there is none: nothing was
// reverted, or the stable version's allocations needed no new ones. The
// failure, the reverted job and its evaluation are one Raft entry, so the
// evaluation exists once d reads failed, and the scheduler commits a
// deployment before it completes the evaluation that made it: once the
// job has no evaluation left to run, the answer is known.
func (m *evalMonitor) rollbackDeployment(d *api.Deployment) (*api.Deployment, error) {
	if d.Status != api.DeploymentStatusFailed || !strings.Contains(d.StatusDescription, "rolling back to job version") {
		return nil, nil
	}
	var index uint64
	for {
		evals, qm, err := m.client.Jobs().Evaluations(d.JobID, &api.QueryOptions{WaitIndex: index, WaitTime: m.wait})
		if err != nil {
			return nil, fmt.Errorf("reading the evaluations of job %q: %w", d.JobID, err)
		}
		settled := true
		for _, e := range evals {
			settled = settled && (evalTerminal(e) || e.Status == "blocked")
		}
		latest, _, err := m.client.Jobs().LatestDeployment(d.JobID, nil)
		if err != nil {
			return nil, fmt.Errorf("reading the latest deployment of job %q: %w", d.JobID, err)
		}
		if latest != nil && latest.CreateIndex > d.CreateIndex {
			return latest, nil
		}
		if settled {
			return nil, nil
		}
		index = qm.LastIndex
	}
}

// deploymentProgress is one frame of progress: the status line and the
// group table with the time left before each group's progress deadline.
func deploymentProgress(d *api.Deployment, now time.Time, timeLeft bool) string {
	out := fmt.Sprintf("    Deployment %s: %s\n", d.Status, d.StatusDescription)
	out += indent(formatDeploymentGroups(d), "    ")
	if !timeLeft {
		return out
	}
	left := ""
	for _, name := range sortedGroups(d) {
		st := d.TaskGroups[name]
		if st.RequireProgressBy.IsZero() || d.Status != "running" {
			continue
		}
		left += fmt.Sprintf("\n    %s: %s left before the progress deadline", name, st.RequireProgressBy.Sub(now).Round(time.Second))
	}
	return out + left
}

func sortedGroups(d *api.Deployment) []string {
	names := make([]string, 0, len(d.TaskGroups))
	for name := range d.TaskGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// deploymentAllocTable lists a deployment's allocations with their health
// verdict. It shows no relative times, so that without a terminal a frame
// is printed only when something changed.
func deploymentAllocTable(allocs []*api.AllocationListStub, idLen int) string {
	sort.SliceStable(allocs, func(i, j int) bool { return allocs[i].CreateIndex < allocs[j].CreateIndex })
	lines := []string{"ID|Node ID|Task Group|Version|Desired|Status|Healthy|Canary"}
	for _, a := range allocs {
		healthy, canary := "-", false
		if ds := a.DeploymentStatus; ds != nil {
			canary = ds.Canary
			if ds.Healthy != nil {
				healthy = fmt.Sprint(*ds.Healthy)
			}
		}
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%d|%s|%s|%s|%t",
			limit(a.ID, idLen), limit(a.NodeID, idLen), a.TaskGroup, a.JobVersion,
			a.DesiredStatus, a.ClientStatus, healthy, canary))
	}
	return formatList(lines)
}
