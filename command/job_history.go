package command

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/api"
)

// JobHistoryCommand lists the kept versions of a job.
type JobHistoryCommand struct{ Meta }

func (c *JobHistoryCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job history [options] <job>

  Lists the kept versions of a job, newest first, with whether each is
  stable (a deployment of it succeeded, or it was marked so). A version
  can be registered again with "orch job revert".

` + generalOptionsHelp + `

History Options:

  -p
    Show the change that led to each version.

  -full
    Show each version's full job specification (JSON).

  -version <n>
    Show only version n.

  -json
    Output the versions as JSON.`)
}

func (c *JobHistoryCommand) Synopsis() string { return "Display all tracked versions of a job" }

func (c *JobHistoryCommand) Run(args []string) int {
	var diff, full, asJSON bool
	var versionStr string
	fs := c.FlagSet("job history")
	fs.BoolVar(&diff, "p", false, "")
	fs.BoolVar(&full, "full", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.StringVar(&versionStr, "version", "", "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	if diff && full {
		c.Ui.Error("-p and -full can't be used together")
		return exitError
	}
	client, jobID, ok := c.jobClient(fs.Arg(0))
	if !ok {
		return exitError
	}
	versions, diffs, _, err := client.Jobs().Versions(jobID, diff, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error retrieving job versions: %v", err))
		return exitError
	}
	if versionStr != "" {
		want, err := strconv.ParseUint(versionStr, 10, 64)
		if err != nil {
			c.Ui.Error(fmt.Sprintf("-version %q: want a version number", versionStr))
			return exitError
		}
		i := versionIndex(versions, want)
		if i < 0 {
			c.Ui.Error(fmt.Sprintf("Job %q has no version %d", jobID, want))
			return exitError
		}
		versions = versions[i : i+1]
		if i < len(diffs) {
			diffs = diffs[i : i+1]
		} else {
			diffs = nil
		}
	}
	if asJSON {
		return c.outputJSON(versions)
	}
	out := make([]string, 0, len(versions))
	for i, v := range versions {
		var d *api.JobDiff
		if diff && i < len(diffs) {
			d = diffs[i]
		}
		out = append(out, formatJobVersion(v, d, full))
	}
	c.Ui.Output(strings.Join(out, "\n\n"))
	return exitOK
}

func versionIndex(versions []*api.Job, want uint64) int {
	for i, v := range versions {
		if v.Version != nil && *v.Version == want {
			return i
		}
	}
	return -1
}

// formatJobVersion renders one version as Nomad's history does.
func formatJobVersion(v *api.Job, d *api.JobDiff, full bool) string {
	lines := []string{
		fmt.Sprintf("Version|%d", deref(v.Version)),
		fmt.Sprintf("Stable|%t", deref(v.Stable)),
		"Submit Date|" + formatUnixNano(deref(v.SubmitTime)),
	}
	if d != nil && d.Type != api.DiffTypeNone {
		lines = append(lines, "Diff|")
	}
	out := formatKV(lines)
	if d != nil && d.Type != api.DiffTypeNone {
		out += "\n" + indent(strings.TrimRight(formatJobDiff(d, false), "\n"), "  ")
	}
	if full {
		buf, err := json.MarshalIndent(v, "", "    ")
		if err == nil {
			out += "\nFull Job =\n" + indent(string(buf), "  ")
		}
	}
	return out
}
