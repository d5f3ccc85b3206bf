package state

import (
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestUpdateAllocsDesiredTransitions: transitions merge into live
// allocations with a new AllocModifyIndex (so clients fetch them), skip
// allocations the servers stopped or that are gone, and the evaluation
// lands in the same write.
func TestUpdateAllocsDesiredTransitions(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job, node := mock.Job(), mock.Node()
	must(t, s.UpsertNode(1, node))
	must(t, s.UpsertJob(2, job))
	allocs := placeAllocs(t, s, 3, job, node, 3)
	stop := allocs[2].CopySkipJob()
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	stop.NextAllocation = "replacement"
	stored, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	must(t, s.UpsertPlanResults(4, &structs.ApplyPlanResultsRequest{Job: stored, AllocsStopped: []*structs.Allocation{stop}}))

	yes := true
	eval := mock.EvalFor(job)
	mark := func() *structs.DesiredTransition { return &structs.DesiredTransition{Reschedule: &yes} }
	must(t, s.UpdateAllocsDesiredTransitions(5, map[string]*structs.DesiredTransition{
		allocs[0].ID: mark(), allocs[2].ID: mark(), "gone": mark(),
	}, []*structs.Evaluation{eval}))
	// A later transition of another field keeps the mark.
	must(t, s.UpdateAllocsDesiredTransitions(6, map[string]*structs.DesiredTransition{
		allocs[0].ID: {NoShutdownDelay: &yes},
	}, nil))

	got := func(i int) *structs.Allocation {
		a, err := s.AllocByID(nil, allocs[i].ID)
		must(t, err)
		return a
	}
	if a := got(0); !a.DesiredTransition.ShouldReschedule() || !a.DesiredTransition.ShouldIgnoreShutdownDelay() || a.AllocModifyIndex != 6 || a.Job == nil {
		t.Fatalf("marked alloc: reschedule %v, no shutdown delay %v, alloc modify index %d, job %v; want both set, 6, kept",
			a.DesiredTransition.ShouldReschedule(), a.DesiredTransition.ShouldIgnoreShutdownDelay(), a.AllocModifyIndex, a.Job != nil)
	}
	if a := got(1); a.DesiredTransition.ShouldReschedule() || a.AllocModifyIndex != 3 {
		t.Fatalf("unmarked alloc changed: %+v at %d", a.DesiredTransition, a.AllocModifyIndex)
	}
	if a := got(2); a.DesiredTransition.ShouldReschedule() || a.NextAllocation != "replacement" {
		t.Fatalf("stopped alloc: reschedule %v, next %q; want unmarked and the plan's replacement kept",
			a.DesiredTransition.ShouldReschedule(), a.NextAllocation)
	}
	if e, err := s.EvalByID(nil, eval.ID); err != nil || e == nil || e.CreateIndex != 5 {
		t.Fatalf("eval written with the marks: %+v %v", e, err)
	}
}

// TestPlanKeepsDesiredTransitions: an in-place update from a plan carries
// the allocation as the scheduler's snapshot saw it, possibly before a
// desired transition was written; the stored transition survives it.
func TestPlanKeepsDesiredTransitions(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job, node := mock.Job(), mock.Node()
	must(t, s.UpsertNode(1, node))
	must(t, s.UpsertJob(2, job))
	allocs := placeAllocs(t, s, 3, job, node, 1)
	stale := allocs[0].CopySkipJob() // the scheduler's copy, unmarked

	yes := true
	must(t, s.UpdateAllocsDesiredTransitions(4, map[string]*structs.DesiredTransition{
		allocs[0].ID: {Reschedule: &yes, NoShutdownDelay: &yes},
	}, nil))
	stored, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	must(t, s.UpsertPlanResults(5, &structs.ApplyPlanResultsRequest{Job: stored, AllocsUpdated: []*structs.Allocation{stale}}))

	a, err := s.AllocByID(nil, allocs[0].ID)
	must(t, err)
	if a.ModifyIndex != 5 {
		t.Fatalf("plan not applied: modify index %d", a.ModifyIndex)
	}
	if !a.DesiredTransition.ShouldReschedule() || !a.DesiredTransition.ShouldIgnoreShutdownDelay() {
		t.Fatalf("desired transition lost to a stale plan: %+v", a.DesiredTransition)
	}
}
