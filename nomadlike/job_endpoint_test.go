package nomadlike_test

import (
	"slices"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestJobAllocations_All registers a job, purges it and registers it again
// under the same ID: without All only the second registration's
// allocations are listed, as Nomad does.
func TestJobAllocations_All(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	node := mock.Node()
	var nr structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	registerJob(t, s, job)
	old := mock.AllocFor(job, node, 0)
	applyPlan(t, s, job, old)

	var purge structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: job.ID, Purge: true}, &purge); err != nil {
		t.Fatal(err)
	}
	t.Run("a purged job lists every allocation", func(t *testing.T) {
		if got := jobAllocIDs(t, s, job.ID, false); !slices.Equal(got, []string{old.ID}) {
			t.Fatalf("allocations %v, want %v", got, []string{old.ID})
		}
	})

	registerJob(t, s, job)
	current := mock.AllocFor(job, node, 0)
	applyPlan(t, s, job, current)
	cases := []struct {
		name string
		all  bool
		want []string
	}{
		{"current registration only", false, []string{current.ID}},
		{"all registrations", true, sortedIDs(old.ID, current.ID)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := jobAllocIDs(t, s, job.ID, tc.all); !slices.Equal(got, tc.want) {
				t.Fatalf("allocations %v, want %v", got, tc.want)
			}
		})
	}
}

func jobAllocIDs(t *testing.T, rpc structs.RPCer, jobID string, all bool) []string {
	t.Helper()
	var resp structs.JobAllocationsResponse
	if err := rpc.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: jobID, All: all}, &resp); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range resp.Allocations {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// TestJobDeregister_NoShutdownDelay stops a job with and without
// NoShutdownDelay, over the RPC port so the field must cross msgpack: with
// it, every allocation the client has not finished is marked to skip its
// shutdown_delay in the stop's own Raft entry (index) and its
// AllocModifyIndex moves so the client fetches it; a finished allocation
// and a plain stop leave the transition unset.
func TestJobDeregister_NoShutdownDelay(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	rpc := newTCPRPC(t, s)
	node := mock.Node()
	var nr structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name            string
		noShutdownDelay bool
		purge           bool
	}{
		{"plain stop", false, false},
		{"stop without shutdown delay", true, false},
		{"purge without shutdown delay", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			registerJob(t, s, job)
			running, finished := mock.AllocFor(job, node, 0), mock.AllocFor(job, node, 1)
			applyPlan(t, s, job, running, finished)
			update := &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{
				{ID: running.ID, ClientStatus: structs.AllocClientStatusRunning},
				{ID: finished.ID, ClientStatus: structs.AllocClientStatusComplete},
			}}
			var ur structs.GenericResponse
			if err := s.RPC(structs.NodeUpdateAllocRPC, update, &ur); err != nil {
				t.Fatal(err)
			}
			before, err := s.State().AllocByID(nil, finished.ID)
			if err != nil || before == nil {
				t.Fatalf("finished alloc: %v", err)
			}

			var stop structs.JobDeregisterResponse
			req := &structs.JobDeregisterRequest{JobID: job.ID, Purge: tc.purge, NoShutdownDelay: tc.noShutdownDelay}
			if err := rpc.RPC(structs.JobDeregisterRPC, req, &stop); err != nil {
				t.Fatal(err)
			}
			got, err := s.State().AllocByID(nil, running.ID)
			if err != nil || got == nil {
				t.Fatalf("running alloc: %v", err)
			}
			if got.DesiredTransition.ShouldIgnoreShutdownDelay() != tc.noShutdownDelay {
				t.Fatalf("running alloc's NoShutdownDelay = %v, want %v", got.DesiredTransition.NoShutdownDelay, tc.noShutdownDelay)
			}
			if tc.noShutdownDelay && (got.ModifyIndex != stop.Index || got.AllocModifyIndex != stop.Index) {
				t.Fatalf("marked alloc at modify %d / alloc modify %d, want the stop's entry %d", got.ModifyIndex, got.AllocModifyIndex, stop.Index)
			}
			if !tc.noShutdownDelay && got.AllocModifyIndex >= stop.Index {
				t.Fatalf("plain stop moved AllocModifyIndex to %d (stop at %d)", got.AllocModifyIndex, stop.Index)
			}
			after, err := s.State().AllocByID(nil, finished.ID)
			if err != nil || after == nil {
				t.Fatalf("finished alloc: %v", err)
			}
			if after.DesiredTransition.ShouldIgnoreShutdownDelay() || after.AllocModifyIndex != before.AllocModifyIndex {
				t.Fatalf("finished alloc changed: transition %v, alloc modify %d -> %d",
					after.DesiredTransition.NoShutdownDelay, before.AllocModifyIndex, after.AllocModifyIndex)
			}
			eval, err := s.State().EvalByID(nil, stop.EvalID)
			if err != nil || eval == nil || eval.CreateIndex != stop.Index {
				t.Fatalf("stop eval %+v (%v), want it created at %d", eval, err, stop.Index)
			}
		})
	}
}
