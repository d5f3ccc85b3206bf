package nomadlike

import "github.com/orch-dev/orch/nomadlike/structs"

// allocUpdateTrigger says which evaluation, if any, a client's update of
// an allocation calls for: a newly failed allocation of a service or batch
// job is rescheduled (alloc-failure); a newly completed allocation of a
// batch group with completions frees a slot for the next one
// (alloc-completed). Anything else needs no scheduling.
func allocUpdateTrigger(existing, update *structs.Allocation) string {
	job := existing.Job
	if job == nil || existing.ServerTerminalStatus() || update.ClientStatus == existing.ClientStatus {
		return ""
	}
	switch update.ClientStatus {
	case structs.AllocClientStatusFailed:
		if job.Type == structs.JobTypeService || job.Type == structs.JobTypeBatch {
			return structs.EvalTriggerRetryFailedAlloc
		}
	case structs.AllocClientStatusComplete:
		if tg := job.LookupTaskGroup(existing.TaskGroup); job.Type == structs.JobTypeBatch && tg != nil && tg.Completions > 0 {
			return structs.EvalTriggerAllocCompleted
		}
	}
	return ""
}
