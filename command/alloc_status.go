package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orch-dev/orch/api"
)

// AllocStatusCommand shows one allocation and its tasks' recent events.
type AllocStatusCommand struct {
	Meta
	now func() time.Time
}

func (c *AllocStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch alloc status [options] <allocation>

  Shows an allocation (an ID or a unique prefix): where it runs, its
  status, and the state and recent events of each of its tasks. A task
  keeps only its last 10 events, as in Nomad; all of them are shown.

` + generalOptionsHelp + `

Alloc Status Options:

  -json
    Print JSON.

  -stats
    Show each running task's resource usage (CPU in MHz and percent,
    memory), sampled from the client that runs the allocation.

  -verbose
    Show full IDs and the placement metrics.`)
}

func (c *AllocStatusCommand) Synopsis() string {
	return "Display allocation status information and metadata"
}

func (c *AllocStatusCommand) Run(args []string) int {
	var asJSON, verbose, stats bool
	fs := c.FlagSet("alloc status")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&stats, "stats", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	allocID, err := resolveAllocID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	alloc, _, err := client.Allocations().Info(allocID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying allocation: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(alloc)
	}
	now := clockOr(c.now)
	idLen := idLength(verbose)
	var usage *api.AllocResourceUsage
	if stats {
		// The allocation is worth showing without them, as Nomad does.
		if usage, err = client.Allocations().Stats(alloc, nil); err != nil {
			c.Ui.Warn(fmt.Sprintf("Couldn't retrieve stats: %v", err))
		}
	}
	c.show(alloc, usage, idLen, verbose, now())
	return exitOK
}

func (c *AllocStatusCommand) show(a *api.Allocation, usage *api.AllocResourceUsage, idLen int, verbose bool, now time.Time) {
	var version uint64
	if a.Job != nil {
		version = deref(a.Job.Version)
	}
	basic := []string{
		"ID|" + limit(a.ID, idLen),
		"Eval ID|" + limit(a.EvalID, idLen),
		"Name|" + a.Name,
		"Node ID|" + limit(a.NodeID, idLen),
		"Node Name|" + a.NodeName,
		"Job ID|" + a.JobID,
		fmt.Sprintf("Job Version|%d", version),
		"Client Status|" + a.ClientStatus,
		"Client Description|" + orNone(a.ClientDescription),
		"Desired Status|" + a.DesiredStatus,
		"Desired Description|" + orNone(a.DesiredDescription),
		"Created|" + prettyTimeDiff(time.Unix(0, a.CreateTime), now),
		"Modified|" + prettyTimeDiff(time.Unix(0, a.ModifyTime), now),
	}
	basic = append(basic, rescheduleLines(a, idLen)...)
	c.Ui.Output(formatKV(append(basic, preemptionLines(a, idLen)...)))
	if a.Metrics != nil && verbose {
		c.Ui.Output("\nPlacement Metrics")
		c.Ui.Output(formatKV([]string{
			fmt.Sprintf("Nodes Evaluated|%d", a.Metrics.NodesEvaluated),
			fmt.Sprintf("Nodes Filtered|%d", a.Metrics.NodesFiltered),
			fmt.Sprintf("Nodes Exhausted|%d", a.Metrics.NodesExhausted),
			"Allocation Time|" + a.Metrics.AllocationTime.String(),
		}))
	}
	tasks := make([]string, 0, len(a.TaskStates))
	for name := range a.TaskStates {
		tasks = append(tasks, name)
	}
	sort.Strings(tasks)
	for _, name := range tasks {
		st := a.TaskStates[name]
		c.Ui.Output(fmt.Sprintf("\nTask %q is %q", name, st.State))
		c.Ui.Output(formatKV([]string{
			fmt.Sprintf("Restarts|%d", st.Restarts),
			"Started At|" + formatTime(st.StartedAt),
			"Finished At|" + formatTime(st.FinishedAt),
		}))
		if tu := taskStats(usage, name); tu != nil {
			c.Ui.Output(taskUsageTables(a, name, tu))
		}
		c.Ui.Output("\nRecent Events:")
		c.Ui.Output(eventsTable(st.Events, verbose))
	}
}

// eventsTable lists a task's events newest first; without verbose only
// the last ten.
func eventsTable(events []*api.TaskEvent, verbose bool) string {
	lines := []string{"Time|Type|Description"}
	for i, shown := len(events)-1, 0; i >= 0 && (verbose || shown < 10); i, shown = i-1, shown+1 {
		e := events[i]
		lines = append(lines, fmt.Sprintf("%s|%s|%s", formatUnixNano(e.Time), e.Type, eventMessage(e)))
	}
	return formatList(lines)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
