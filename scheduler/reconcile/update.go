package reconcile

import (
	"reflect"
	"slices"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// outdated reports whether a runs an older version of job than the
// registered one.
func outdated(a *structs.Allocation, job *structs.Job) bool {
	if a.Job == nil {
		// Without the job an allocation was made for there is nothing to
		// compare; leaving it alone is safer than replacing it.
		return false
	}
	return a.Job.Version != job.Version || a.Job.JobModifyIndex != job.JobModifyIndex
}

// destructiveChange reports whether moving an allocation of group from old
// to the new job needs a new allocation: anything the group runs or is
// placed by changed. A change of count or meta only is applied in place.
func destructiveChange(old, job *structs.Job, group string) bool {
	if old.Type != job.Type || old.NodePool != job.NodePool ||
		!slices.Equal(old.Datacenters, job.Datacenters) ||
		!reflect.DeepEqual(old.Constraints, job.Constraints) {
		return true
	}
	a, b := old.LookupTaskGroup(group), job.LookupTaskGroup(group)
	if a == nil || b == nil {
		return true
	}
	return !reflect.DeepEqual(comparableGroup(a), comparableGroup(b))
}

// comparableGroup copies tg without the fields an in-place update may
// change: counts, meta, and the scheduling policies (reschedule,
// completions) that decide about future allocations, not running ones.
func comparableGroup(tg *structs.TaskGroup) structs.TaskGroup {
	c := *tg
	c.Count = 0
	c.Meta = nil
	c.ReschedulePolicy = nil
	c.Completions, c.Parallelism = 0, 0
	// How changes roll out and how drains move allocations say nothing
	// about what runs: Nomad updates them in place too.
	c.Update, c.Migrate = nil, nil
	c.Tasks = make([]*structs.Task, len(tg.Tasks))
	for i, t := range tg.Tasks {
		tc := *t
		tc.Meta = nil
		c.Tasks[i] = &tc
	}
	return c
}
