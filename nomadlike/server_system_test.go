package nomadlike_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestServer_SystemJobFollowsNodes runs a system job through the real
// scheduler: it covers the ready node, and a node registering later gets
// its own allocation through the node-update evaluation the server
// creates for every system job.
func TestServer_SystemJobFollowsNodes(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	first := mock.Node()
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: first}, &reg); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	job.Type = structs.JobTypeSystem
	job.TaskGroups[0].Count = 1
	registerJob(t, s, job)
	waitAllocNodes(t, s, job.ID, first.ID)

	second := mock.Node()
	reg = structs.NodeUpdateResponse{}
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: second}, &reg); err != nil {
		t.Fatal(err)
	}
	if len(reg.EvalIDs) != 1 {
		t.Fatalf("node register created evals %v, want one for the system job", reg.EvalIDs)
	}
	waitAllocNodes(t, s, job.ID, first.ID, second.ID)
}

// waitAllocNodes waits until the job's allocations that should run are
// exactly one on each of nodes.
func waitAllocNodes(t *testing.T, s interface {
	RPC(string, interface{}, interface{}) error
}, jobID string, nodes ...string) {
	t.Helper()
	want := slices.Sorted(slices.Values(nodes))
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		var allocs structs.JobAllocationsResponse
		if err := s.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: jobID}, &allocs); err != nil {
			return err
		}
		var got []string
		for _, a := range allocs.Allocations {
			if a.DesiredStatus == structs.AllocDesiredStatusRun {
				got = append(got, a.NodeID)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("allocations on nodes %v, want %v", got, want)
		}
		return nil
	})
}
