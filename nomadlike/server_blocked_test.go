package nomadlike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func registerNode(t *testing.T, s *nomadlike.Server, node *structs.Node) {
	t.Helper()
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &reg); err != nil {
		t.Fatalf("register node: %v", err)
	}
}

// waitBlocked waits until the leader tracks n blocked evaluations.
func waitBlocked(t *testing.T, s *nomadlike.Server, n int) *nomadlike.BlockedStats {
	t.Helper()
	var stats *nomadlike.BlockedStats
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		stats = nomadlike.BlockedStatsForTest(s)
		if stats.TotalBlocked != n {
			return fmt.Errorf("%d blocked evals, want %d", stats.TotalBlocked, n)
		}
		return nil
	})
	return stats
}

// waitPlacedOn waits until every allocation the job should have runs (as
// the server sees it) on node.
func waitPlacedOn(t *testing.T, s *nomadlike.Server, job *structs.Job, node *structs.Node) {
	t.Helper()
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		var allocs structs.JobAllocationsResponse
		if err := s.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: job.ID}, &allocs); err != nil {
			return err
		}
		live := 0
		for _, a := range allocs.Allocations {
			if a.DesiredStatus != structs.AllocDesiredStatusRun {
				continue
			}
			if a.NodeID != node.ID {
				return fmt.Errorf("allocation %s on %s, want %s", a.ID, a.NodeID, node.ID)
			}
			live++
		}
		if want := job.TaskGroups[0].Count; live != want {
			return fmt.Errorf("%d allocations placed, want %d", live, want)
		}
		return nil
	})
}

// TestServer_BlockedJobPlacedWhenBigNodeJoins runs a job too big for the
// cluster: it blocks; another node of a class its constraint rules out
// joins without waking it (no scheduler run); and it is placed as soon as
// a big enough node of a usable class registers.
func TestServer_BlockedJobPlacedWhenBigNodeJoins(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	small := mock.Node()
	small.NodeResources.Memory.MemoryMB = 1024
	registerNode(t, s, small)
	wrongRack := func() *structs.Node {
		n := mock.Node()
		n.Meta["rack"] = "r2"
		return n
	}
	registerNode(t, s, wrongRack())

	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 4096
	job.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "="}}
	registerJob(t, s, job)
	before := waitBlocked(t, s, 1)

	registerNode(t, s, wrongRack())
	// Register returns after the tracker heard of the node, so the
	// counters already show whether it unblocked anything.
	if after := nomadlike.BlockedStatsForTest(s); after.Unblocked != before.Unblocked || after.TotalBlocked != 1 {
		t.Fatalf("a node of an ineligible class unblocked evals: before %+v, after %+v", before, after)
	}

	big := mock.Node()
	big.NodeResources.Memory.MemoryMB = 16384
	registerNode(t, s, big)
	waitPlacedOn(t, s, job, big)
	waitBlocked(t, s, 0)
}

// TestServer_BlockedJobPlacedWhenAllocStops fills the only node with one
// job, blocks a second, and stops the first: the allocations stopping
// on the node unblock the second, which takes its place.
func TestServer_BlockedJobPlacedWhenAllocStops(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	node := mock.Node()
	registerNode(t, s, node)

	hog := mock.Job()
	hog.TaskGroups[0].Count = 1
	hog.TaskGroups[0].Tasks[0].Resources.MemoryMB = 6000
	registerJob(t, s, hog)
	waitPlacedOn(t, s, hog, node)

	waiting := mock.Job()
	waiting.TaskGroups[0].Count = 1
	waiting.TaskGroups[0].Tasks[0].Resources.MemoryMB = 6000
	registerJob(t, s, waiting)
	waitBlocked(t, s, 1)

	var dereg structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: hog.ID}, &dereg); err != nil {
		t.Fatal(err)
	}
	waitPlacedOn(t, s, waiting, node)
}
