package reconcile

import (
	"cmp"
	"slices"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// runCompletions reconciles a batch group with completions (an orch
// extension after Kubernetes Jobs). Each name index from 0 to
// Completions-1 is one unit of work: it is done once an allocation of
// that index completed, or failed past what the reschedule policy allows.
// At most Parallelism indexes are in flight (running, or failed and
// waiting for their replacement), and free capacity goes to the lowest
// indexes that never ran.
func (g *groupReconciler) runCompletions(slots []slot) {
	limit := max(g.tg.Parallelism, 1)
	used := make(map[int]bool, len(slots))
	var inFlight []slot
	for _, s := range slots {
		switch {
		case s.kind == slotDone:
			used[s.index] = true
			g.keep(s)
		case s.index < 0 || s.index >= g.tg.Completions:
			// Completions was lowered below this index: its work is
			// no longer wanted.
			g.dropSlot(s)
		default:
			inFlight = append(inFlight, s)
		}
	}
	if excess := len(inFlight) - limit; excess > 0 {
		// Parallelism was lowered: the highest indexes give way and
		// run again later.
		slices.SortStableFunc(inFlight, func(a, b slot) int { return cmp.Compare(b.index, a.index) })
		for _, s := range inFlight[:excess] {
			g.dropSlot(s)
		}
		inFlight = inFlight[excess:]
	}
	for _, s := range inFlight {
		used[s.index] = true
		g.keep(s)
	}
	free := limit - len(inFlight)
	for idx := 0; free > 0 && idx < g.tg.Completions; idx++ {
		if used[idx] {
			continue
		}
		g.place(&Placement{TaskGroup: g.tg, Name: AllocName(g.in.Job.ID, g.tg.Name, idx), Index: idx})
		free--
	}
}

// dropSlot stops the allocation of a slot the group no longer wants.
func (g *groupReconciler) dropSlot(s slot) {
	st := &Stop{Alloc: s.alloc, Description: DescNotNeeded}
	if s.kind == slotLost && !s.alloc.ClientTerminalStatus() {
		st.ClientStatus = structs.AllocClientStatusLost
	}
	g.stop(st)
}
