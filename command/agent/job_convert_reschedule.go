package agent

import (
	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// convertReschedulePolicy converts a canonical group policy; nil stays
// nil, as system groups have none.
func convertReschedulePolicy(in *api.ReschedulePolicy) *structs.ReschedulePolicy {
	if in == nil {
		return nil
	}
	return &structs.ReschedulePolicy{
		Attempts:      deref(in.Attempts),
		Interval:      deref(in.Interval),
		Delay:         deref(in.Delay),
		DelayFunction: deref(in.DelayFunction),
		MaxDelay:      deref(in.MaxDelay),
		Unlimited:     deref(in.Unlimited),
	}
}

// convertGroupReschedule converts the group's reschedule policy and its
// completions; kept apart from convertTaskGroup so the fields of each
// feature stay together.
func convertGroupReschedule(in *api.TaskGroup, out *structs.TaskGroup) {
	out.ReschedulePolicy = convertReschedulePolicy(in.ReschedulePolicy)
	out.Completions = deref(in.Completions)
	out.Parallelism = deref(in.Parallelism)
}
