package command

import (
	"fmt"

	"github.com/orch-dev/orch/api"
)

// rescheduleLines are the alloc status rows about rescheduling, as Nomad
// prints them: how many reschedules led to this allocation out of how
// many its group's policy allows, and the allocation that replaced it.
func rescheduleLines(a *api.Allocation, idLen int) []string {
	var out []string
	if tr := a.RescheduleTracker; tr != nil && len(tr.Events) > 0 {
		allowed := "unlimited"
		if p := groupReschedulePolicy(a); p != nil && !deref(p.Unlimited) {
			allowed = fmt.Sprint(deref(p.Attempts))
		}
		out = append(out, fmt.Sprintf("Reschedule Attempts|%d/%s", len(tr.Events), allowed))
		last := tr.Events[len(tr.Events)-1]
		out = append(out, "Rescheduled From|"+limit(last.PrevAllocID, idLen)+" on node "+limit(last.PrevNodeID, idLen))
	}
	if a.NextAllocation != "" {
		out = append(out, "Replacement Alloc ID|"+limit(a.NextAllocation, idLen))
	}
	return out
}

func groupReschedulePolicy(a *api.Allocation) *api.ReschedulePolicy {
	if a.Job == nil {
		return nil
	}
	for _, tg := range a.Job.TaskGroups {
		if tg != nil && deref(tg.Name) == a.TaskGroup {
			return tg.ReschedulePolicy
		}
	}
	return nil
}

// completionsTable shows, for each batch group with completions, how many
// of its allocations completed out of how many it wants; "" when no group
// has completions.
func completionsTable(job *api.Job, s *api.JobSummary) string {
	lines := []string{"Task Group|Completions"}
	for _, tg := range job.TaskGroups {
		if tg == nil || deref(tg.Completions) == 0 {
			continue
		}
		done := 0
		if s != nil {
			done = s.Summary[deref(tg.Name)].Complete
		}
		lines = append(lines, fmt.Sprintf("%s|%d/%d", deref(tg.Name), done, deref(tg.Completions)))
	}
	if len(lines) == 1 {
		return ""
	}
	return formatList(lines)
}
