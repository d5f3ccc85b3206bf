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
