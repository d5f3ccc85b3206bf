package command

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orch-dev/orch/api"
)

// JobScaleCommand changes a group's count, as Nomad's `job scale`.
type JobScaleCommand struct{ Meta }

func (c *JobScaleCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job scale [options] <job> [<group>] <count>

  Sets the number of allocations of a task group. The group may be left
  out when the job has only one. The count must be within the group's
  scaling block min and max, if it has one. The change is a new version of
  the job with a job-scaling evaluation, and a scaling event recorded for
  the group ("orch job status" lists the recent ones).

` + generalOptionsHelp + `

Scale Options:

  -check-index
    Scale only if the job's modify index is still this one.

  -detach
    Return right after the request, printing the evaluation ID.

  -verbose
    Show full IDs.`)
}

func (c *JobScaleCommand) Synopsis() string { return "Change the count of a task group" }

func (c *JobScaleCommand) Run(args []string) int {
	var detach, verbose bool
	var checkIndex uint64
	fs := c.FlagSet("job scale")
	fs.BoolVar(&detach, "detach", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.Uint64Var(&checkIndex, "check-index", 0, "")
	if !c.parseArgs(fs, args, 2, 3, c.Help()) {
		return exitError
	}
	countArg := fs.Arg(fs.NArg() - 1)
	count, err := strconv.Atoi(countArg)
	if err != nil || count < 0 {
		c.Ui.Error(fmt.Sprintf("Count %q is not a whole number of 0 or more", countArg))
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	jobID, err := resolveJobID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	group, err := scaleGroup(client, jobID, fs)
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	resp, err := c.scale(client, jobID, group, count, checkIndex)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error scaling job %q group %q: %v", jobID, group, err))
		return exitError
	}
	if resp.EvalID == "" || detach {
		if resp.EvalID != "" {
			c.Ui.Output(resp.EvalID)
		}
		return exitOK
	}
	mon := newEvalMonitor(c.Ui, client, verbose)
	_, code := mon.monitorEval(resp.EvalID)
	return code
}

func (c *JobScaleCommand) scale(client *api.Client, jobID, group string, count int, checkIndex uint64) (*api.JobRegisterResponse, error) {
	if checkIndex == 0 {
		resp, _, err := client.Jobs().Scale(jobID, group, &count, "submitted using the orch CLI", false, nil, nil)
		return resp, err
	}
	n := int64(count)
	req := &api.ScalingRequest{Count: &n, Target: map[string]string{"Job": jobID, "Group": group},
		Message: "submitted using the orch CLI", JobModifyIndex: checkIndex}
	return client.Jobs().ScaleRequest(jobID, req, nil)
}

// scaleGroup is the group argument, or the job's only group.
func scaleGroup(client *api.Client, jobID string, fs interface {
	NArg() int
	Arg(int) string
}) (string, error) {
	if fs.NArg() == 3 {
		return fs.Arg(1), nil
	}
	job, _, err := client.Jobs().Info(jobID, nil)
	if err != nil {
		return "", fmt.Errorf("querying job %q: %w", jobID, err)
	}
	if len(job.TaskGroups) != 1 {
		names := make([]string, 0, len(job.TaskGroups))
		for _, tg := range job.TaskGroups {
			names = append(names, deref(tg.Name))
		}
		return "", fmt.Errorf("job %q has %d task groups (%s): name the one to scale", jobID, len(names), strings.Join(names, ", "))
	}
	return deref(job.TaskGroups[0].Name), nil
}

// scalingEventsTable lists the newest scaling events of every group, for
// `job status` (Nomad's "Recent Scaling Events").
func scalingEventsTable(st *api.JobScaleStatusResponse, max int) string {
	type row struct {
		group string
		ev    *api.ScalingEvent
	}
	var rows []row
	for g, s := range st.TaskGroups {
		for _, ev := range s.Events {
			rows = append(rows, row{g, ev})
		}
	}
	if len(rows) == 0 {
		return ""
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ev.Time > rows[j].ev.Time })
	if len(rows) > max {
		rows = rows[:max]
	}
	lines := []string{"Time|Task Group|Count|Previous|Error|Message"}
	for _, r := range rows {
		count := "-"
		if r.ev.Count != nil {
			count = strconv.FormatInt(*r.ev.Count, 10)
		}
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%d|%t|%s", formatTime(time.Unix(0, int64(r.ev.Time))),
			r.group, count, r.ev.PreviousCount, r.ev.Error, strings.ReplaceAll(r.ev.Message, "|", "/")))
	}
	return formatList(lines)
}

func hasScaling(job *api.Job) bool {
	for _, tg := range job.TaskGroups {
		if tg.Scaling != nil {
			return true
		}
	}
	return false
}
