package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// isPeriodicParent and isParameterizedParent tell a job that launches
// children from one that is scheduled itself, as the servers do.
func isPeriodicParent(job *api.Job) bool { return job.Periodic != nil }

func isParameterizedParent(job *api.Job) bool { return job.ParameterizedJob != nil && !job.Dispatched }

// nextPeriodicLaunch is when the job next launches after now; zero when
// it never does or is not launched on a schedule.
func nextPeriodicLaunch(job *api.Job, now time.Time) time.Time {
	p := job.Periodic
	// Enabled is unset on a job not yet canonicalized: enabled by default.
	if p == nil || (p.Enabled != nil && !*p.Enabled) || deref(job.Stop) || isParameterizedParent(job) {
		return time.Time{}
	}
	cfg := &structs.PeriodicConfig{Enabled: true, Spec: deref(p.Spec), Specs: p.Specs,
		SpecType: structs.PeriodicSpecCron, TimeZone: deref(p.TimeZone)}
	return cfg.Next(now)
}

// periodicStatusLines are the key/value lines `job status` adds for a
// periodic job, in Nomad's words.
func periodicStatusLines(job *api.Job, now time.Time) []string {
	if !isPeriodicParent(job) {
		return nil
	}
	next := nextPeriodicLaunch(job, now)
	if next.IsZero() {
		return []string{"Next Periodic Launch|<none>"}
	}
	return []string{fmt.Sprintf("Next Periodic Launch|%s (%s)", next.In(now.Location()).Format(time.RFC3339), prettyTimeDiff(next, now))}
}

// showChildren prints a periodic or parameterized parent's children, as
// Nomad's `job status` does in place of the allocations such a parent
// never has.
func (c *JobStatusCommand) showChildren(client *api.Client, job *api.Job) int {
	if job.ParameterizedJob != nil && !job.Dispatched {
		p := job.ParameterizedJob
		c.Ui.Output("\nParameterized Job")
		c.Ui.Output(formatKV([]string{
			"Payload|" + p.Payload,
			"Required Metadata|" + joinOrNA(p.MetaRequired),
			"Optional Metadata|" + joinOrNA(p.MetaOptional),
		}))
	}
	all, _, err := client.Jobs().PrefixList(deref(job.ID) + "/")
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying child jobs: %v", err))
		return exitError
	}
	var children []*api.JobListStub
	for _, j := range all {
		if j.ParentID == deref(job.ID) {
			children = append(children, j)
		}
	}
	sort.Slice(children, func(i, j int) bool {
		if children[i].SubmitTime != children[j].SubmitTime {
			return children[i].SubmitTime < children[j].SubmitTime
		}
		return children[i].ID < children[j].ID
	})
	summaryTitle, listTitle, none := "Children Job Summary", "Previously Launched Jobs", "No instances of periodic job found"
	if isParameterizedParent(job) {
		summaryTitle, listTitle, none = "Parameterized Job Summary", "Dispatched Jobs", "No dispatched instances of parameterized job found"
	}
	counts := map[string]int{}
	lines := []string{"ID|Status"}
	for _, ch := range children {
		counts[ch.Status]++
		lines = append(lines, ch.ID+"|"+ch.Status)
	}
	c.Ui.Output("\n" + summaryTitle)
	c.Ui.Output(formatList([]string{"Pending|Running|Dead",
		fmt.Sprintf("%d|%d|%d", counts[structs.JobStatusPending], counts[structs.JobStatusRunning], counts[structs.JobStatusDead])}))
	c.Ui.Output("\n" + listTitle)
	if len(children) == 0 {
		c.Ui.Output(none)
		return exitOK
	}
	c.Ui.Output(formatList(lines))
	return exitOK
}

func joinOrNA(s []string) string {
	if len(s) == 0 {
		return "n/a"
	}
	return strings.Join(s, ", ")
}
