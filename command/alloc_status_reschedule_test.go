package command

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestRescheduleLines(t *testing.T) {
	tracked := func(unlimited bool) *api.Allocation {
		a := testAlloc(time.Now())
		a.Job.TaskGroups[0].ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(3), Unlimited: ptr(unlimited)}
		a.RescheduleTracker = &api.RescheduleTracker{Events: []*api.RescheduleEvent{
			{PrevAllocID: "prev0000-0000", PrevNodeID: "nodeA000-0000"},
			{PrevAllocID: "prev1111-0000", PrevNodeID: "nodeB000-0000"},
		}}
		return a
	}
	replaced := testAlloc(time.Now())
	replaced.NextAllocation = "next2222-0000"
	cases := []struct {
		name  string
		alloc *api.Allocation
		want  []string
	}{
		{"never rescheduled", testAlloc(time.Now()), nil},
		{"limited policy", tracked(false), []string{"Reschedule Attempts|2/3", "Rescheduled From|prev1111 on node nodeB000"}},
		{"unlimited policy", tracked(true), []string{"Reschedule Attempts|2/unlimited", "Rescheduled From|prev1111 on node nodeB000"}},
		{"replaced", replaced, []string{"Replacement Alloc ID|next2222"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rescheduleLines(c.alloc, 8)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("lines %q, want %q", got, c.want)
			}
		})
	}
}

func TestCompletionsTable(t *testing.T) {
	job := &api.Job{TaskGroups: []*api.TaskGroup{
		{Name: ptr("work"), Completions: ptr(5)},
		{Name: ptr("plain")},
	}}
	summary := &api.JobSummary{Summary: map[string]api.TaskGroupSummary{"work": {Complete: 3, Running: 2}, "plain": {Complete: 1}}}
	got := completionsTable(job, summary)
	if !strings.Contains(got, "work") || !strings.Contains(got, "3/5") || strings.Contains(got, "plain") {
		t.Fatalf("table:\n%s", got)
	}
	if got := completionsTable(&api.Job{TaskGroups: []*api.TaskGroup{{Name: ptr("plain")}}}, summary); got != "" {
		t.Fatalf("table for a job without completions:\n%s", got)
	}
}
