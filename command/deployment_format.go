package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/cli"

	"github.com/orch-dev/orch/api"
)

// resolveDeploymentID accepts a full deployment ID or a unique prefix.
func resolveDeploymentID(c *api.Client, id string) (string, error) {
	return resolveID("deployment", id, func(p string) ([]string, error) {
		ds, _, err := c.Deployments().PrefixList(p)
		ids := make([]string, len(ds))
		for i, d := range ds {
			ids[i] = d.ID
		}
		return ids, err
	})
}

// formatDeployment renders a deployment as `deployment status` does: its
// header, then the per-group table under "Deployed".
func formatDeployment(d *api.Deployment, idLen int) string {
	out := formatKV([]string{
		"ID|" + limit(d.ID, idLen),
		"Job ID|" + d.JobID,
		fmt.Sprintf("Job Version|%d", d.JobVersion),
		"Status|" + d.Status,
		"Description|" + d.StatusDescription,
	})
	if len(d.TaskGroups) == 0 {
		return out
	}
	return out + "\n\nDeployed\n" + formatDeploymentGroups(d)
}

// formatDeploymentGroups is the per-group table. As in Nomad, the Auto
// Revert, Promoted/Canaries and Progress Deadline columns appear only when
// some group uses them.
func formatDeploymentGroups(d *api.Deployment) string {
	names := make([]string, 0, len(d.TaskGroups))
	var autoRevert, canaries, deadline bool
	for name, st := range d.TaskGroups {
		names = append(names, name)
		autoRevert = autoRevert || st.AutoRevert
		canaries = canaries || st.DesiredCanaries > 0
		deadline = deadline || st.ProgressDeadline != 0
	}
	sort.Strings(names)
	header := []string{"Task Group"}
	if autoRevert {
		header = append(header, "Auto Revert")
	}
	if canaries {
		header = append(header, "Promoted")
	}
	header = append(header, "Desired")
	if canaries {
		header = append(header, "Canaries")
	}
	header = append(header, "Placed", "Healthy", "Unhealthy")
	if deadline {
		header = append(header, "Progress Deadline")
	}
	rows := []string{strings.Join(header, "|")}
	for _, name := range names {
		st := d.TaskGroups[name]
		row := []string{name}
		if autoRevert {
			row = append(row, fmt.Sprint(st.AutoRevert))
		}
		if canaries {
			promoted := "N/A"
			if st.DesiredCanaries > 0 {
				promoted = fmt.Sprint(st.Promoted)
			}
			row = append(row, promoted)
		}
		row = append(row, fmt.Sprint(st.DesiredTotal))
		if canaries {
			row = append(row, fmt.Sprint(st.DesiredCanaries))
		}
		row = append(row, fmt.Sprint(st.PlacedAllocs), fmt.Sprint(st.HealthyAllocs), fmt.Sprint(st.UnhealthyAllocs))
		if deadline {
			by := "N/A"
			if !st.RequireProgressBy.IsZero() {
				by = formatTime(st.RequireProgressBy)
			}
			row = append(row, by)
		}
		rows = append(rows, strings.Join(row, "|"))
	}
	return formatList(rows)
}

// formatDeploymentList is the table of `deployment list`, newest first.
func formatDeploymentList(ds []*api.Deployment, idLen int) string {
	if len(ds) == 0 {
		return "No deployments found"
	}
	sorted := append([]*api.Deployment(nil), ds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CreateIndex > sorted[j].CreateIndex })
	rows := []string{"ID|Job ID|Job Version|Status|Description"}
	for _, d := range sorted {
		rows = append(rows, fmt.Sprintf("%s|%s|%d|%s|%s", limit(d.ID, idLen), d.JobID, d.JobVersion, d.Status, d.StatusDescription))
	}
	return formatList(rows)
}

// addDeploymentCommands registers the deployment verbs.
func addDeploymentCommands(cmds map[string]cli.CommandFactory, m *Meta) {
	cmds["deployment"] = func() (cli.Command, error) {
		return &groupCommand{name: "deployment", synopsis: "Interact with deployments"}, nil
	}
	cmds["deployment list"] = func() (cli.Command, error) { return &DeploymentListCommand{Meta: *m}, nil }
	cmds["deployment status"] = func() (cli.Command, error) { return &DeploymentStatusCommand{Meta: *m}, nil }
	cmds["deployment promote"] = func() (cli.Command, error) { return &DeploymentPromoteCommand{Meta: *m}, nil }
	cmds["deployment fail"] = func() (cli.Command, error) { return &DeploymentFailCommand{Meta: *m}, nil }
	cmds["deployment pause"] = func() (cli.Command, error) { return &DeploymentPauseCommand{Meta: *m}, nil }
	cmds["deployment resume"] = func() (cli.Command, error) { return &DeploymentResumeCommand{Meta: *m}, nil }
}
