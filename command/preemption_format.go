package command

import (
	"strings"

	"github.com/orch-dev/orch/api"
)

// preemptionLines are the alloc status rows that link an allocation to the
// ones it evicted, or to the one that evicted it; none when neither.
func preemptionLines(a *api.Allocation, idLen int) []string {
	var out []string
	if a.PreemptedByAllocation != "" {
		out = append(out, "Preempted By Allocation|"+limit(a.PreemptedByAllocation, idLen))
	}
	if len(a.PreemptedAllocations) > 0 {
		ids := make([]string, len(a.PreemptedAllocations))
		for i, id := range a.PreemptedAllocations {
			ids[i] = limit(id, idLen)
		}
		out = append(out, "Preempted Allocations|"+strings.Join(ids, ", "))
	}
	return out
}

// evictedTable lists the job's allocations evicted by preemption with why,
// so `job status` says what happened to them; "" when there are none.
func evictedTable(allocs []*api.AllocationListStub, idLen int) string {
	lines := []string{"ID|Task Group|Desired Description"}
	for _, a := range allocs {
		if a.DesiredStatus == api.AllocDesiredStatusEvict {
			lines = append(lines, limit(a.ID, idLen)+"|"+a.TaskGroup+"|"+a.DesiredDescription)
		}
	}
	if len(lines) == 1 {
		return ""
	}
	return formatList(lines)
}
