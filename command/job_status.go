package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orch-dev/orch/api"
)

// JobStatusCommand shows the job list, or one job with its summary and
// allocations.
type JobStatusCommand struct {
	Meta
	// now is the clock used for ages; nil means time.Now.
	now func() time.Time
}

func (c *JobStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job status [options] [job]

  Without a job, lists every job. With one (an ID or a unique prefix),
  shows the job, a summary of its allocations per task group and its
  allocations.

` + generalOptionsHelp + `

Status Options:

  -all-allocs
    Also list allocations of earlier registrations of the job's ID (a job
    purged and registered again), not only of the current one.

  -json
    Print the job (or job list) as JSON.

  -verbose
    Show full IDs.`)
}

func (c *JobStatusCommand) Synopsis() string { return "Display status information about a job" }

func (c *JobStatusCommand) Run(args []string) int {
	var asJSON, verbose, allAllocs bool
	fs := c.FlagSet("job status")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.BoolVar(&allAllocs, "all-allocs", false, "")
	if !c.parseArgs(fs, args, 0, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	if fs.NArg() == 0 {
		return listJobs(&c.Meta, client, asJSON)
	}
	jobID, err := resolveJobID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	job, _, err := client.Jobs().Info(jobID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying job: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(job)
	}
	now := clockOr(c.now)
	idLen := idLength(verbose)
	return c.showJob(client, job, allAllocs, idLen, now())
}

func (c *JobStatusCommand) showJob(client *api.Client, job *api.Job, allAllocs bool, idLen int, now time.Time) int {
	c.Ui.Output(formatKV(append([]string{
		"ID|" + deref(job.ID),
		"Name|" + deref(job.Name),
		"Submit Date|" + formatUnixNano(deref(job.SubmitTime)),
		"Type|" + deref(job.Type),
		fmt.Sprintf("Priority|%d", deref(job.Priority)),
		"Datacenters|" + strings.Join(job.Datacenters, ","),
		"Namespace|" + deref(job.Namespace),
		"Node Pool|" + deref(job.NodePool),
		"Status|" + jobStatus(job),
		fmt.Sprintf("Periodic|%t", isPeriodicParent(job)),
		fmt.Sprintf("Parameterized|%t", isParameterizedParent(job)),
	}, periodicStatusLines(job, now)...)))
	if isPeriodicParent(job) || isParameterizedParent(job) {
		return c.showChildren(client, job)
	}

	summary, _, err := client.Jobs().Summary(deref(job.ID), nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying job summary: %v", err))
		return exitError
	}
	c.Ui.Output("\nSummary")
	c.Ui.Output(summaryTable(summary))
	if t := completionsTable(job, summary); t != "" {
		c.Ui.Output("\nCompletions")
		c.Ui.Output(t)
	}
	if code := c.showLatestDeployment(client, job, idLen); code != exitOK {
		return code
	}

	allocs, _, err := client.Jobs().Allocations(deref(job.ID), allAllocs, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying job allocations: %v", err))
		return exitError
	}
	c.Ui.Output("\nAllocations")
	if len(allocs) == 0 {
		c.Ui.Output("No allocations placed")
	} else {
		c.Ui.Output(allocTable(allocs, idLen, now))
	}
	if evicted := evictedTable(allocs, idLen); evicted != "" {
		c.Ui.Output("\nPreempted Allocations")
		c.Ui.Output(evicted)
	}
	if hasScaling(job) {
		if st, _, err := client.Jobs().ScaleStatus(deref(job.ID), nil); err == nil {
			if t := scalingEventsTable(st, 10); t != "" {
				c.Ui.Output("\nRecent Scaling Events")
				c.Ui.Output(t)
			}
		}
	}
	return exitOK
}

func jobStatus(job *api.Job) string {
	status := deref(job.Status)
	if deref(job.Stop) {
		status += " (stopped)"
	}
	return status
}

func summaryTable(s *api.JobSummary) string {
	groups := make([]string, 0, len(s.Summary))
	for g := range s.Summary {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	lines := []string{"Task Group|Queued|Starting|Running|Failed|Complete|Lost|Unknown"}
	for _, g := range groups {
		t := s.Summary[g]
		lines = append(lines, fmt.Sprintf("%s|%d|%d|%d|%d|%d|%d|%d",
			g, t.Queued, t.Starting, t.Running, t.Failed, t.Complete, t.Lost, t.Unknown))
	}
	return formatList(lines)
}

// listJobs prints the job table, shared by `job status` and `status`.
func listJobs(m *Meta, client *api.Client, asJSON bool) int {
	jobs, _, err := client.Jobs().List(nil)
	if err != nil {
		m.Ui.Error(fmt.Sprintf("Error querying jobs: %v", err))
		return exitError
	}
	if asJSON {
		return m.outputJSON(jobs)
	}
	if len(jobs) == 0 {
		m.Ui.Output("No running jobs")
		return exitOK
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].ID < jobs[j].ID })
	lines := []string{"ID|Type|Priority|Status|Submit Date"}
	for _, j := range jobs {
		status := j.Status
		if j.Stop {
			status += " (stopped)"
		}
		lines = append(lines, fmt.Sprintf("%s|%s|%d|%s|%s", j.ID, j.Type, j.Priority, status, formatUnixNano(j.SubmitTime)))
	}
	m.Ui.Output(formatList(lines))
	return exitOK
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
