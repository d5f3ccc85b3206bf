package nomadlike_test

import (
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestNodeGetAllocs lists a node's allocations of two namespaces without
// the node's secret, and blocks until something changes on that node.
func TestNodeGetAllocs(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	node, other := mock.Node(), mock.Node()
	for _, n := range []*structs.Node{node, other} {
		var nr structs.NodeUpdateResponse
		if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: n}, &nr); err != nil {
			t.Fatal(err)
		}
	}
	web, batch := mock.Job(), mock.Job()
	batch.Namespace = "team-b"
	registerJob(t, s, web)
	registerJob(t, s, batch)
	a1, a2 := mock.AllocFor(web, node, 0), mock.AllocFor(batch, node, 0)
	applyPlan(t, s, web, a1)
	applyPlan(t, s, batch, a2)

	first := getNodeAllocs(t, s, &structs.NodeSpecificRequest{NodeID: node.ID})
	if got, want := allocIDs(first.Allocs), sortedIDs(a1.ID, a2.ID); !slices.Equal(got, want) {
		t.Fatalf("allocations %v, want both namespaces' %v", got, want)
	}
	if first.Allocs[0].Job == nil || first.Index == 0 {
		t.Fatalf("want full allocations and an index, got job %v index %d", first.Allocs[0].Job, first.Index)
	}
	if got := getNodeAllocs(t, s, &structs.NodeSpecificRequest{NodeID: "never-registered"}); len(got.Allocs) != 0 {
		t.Fatalf("unknown node has allocations %v", allocIDs(got.Allocs))
	}

	t.Run("blocking query ignores other nodes", func(t *testing.T) {
		applyPlan(t, s, web, mock.AllocFor(web, other, 1))
		req := &structs.NodeSpecificRequest{NodeID: node.ID}
		req.MinQueryIndex, req.MaxQueryTime = first.Index, 50*time.Millisecond
		if again := getNodeAllocs(t, s, req); again.Index != first.Index {
			t.Fatalf("woke with index %d for a placement on another node", again.Index)
		}
	})
	t.Run("blocking query wakes on a placement", func(t *testing.T) {
		done := make(chan *structs.NodeAllocsResponse, 1)
		go func() {
			req := &structs.NodeSpecificRequest{NodeID: node.ID}
			req.MinQueryIndex, req.MaxQueryTime = first.Index, 10*time.Second
			var resp structs.NodeAllocsResponse
			if err := s.RPC(structs.NodeGetAllocsRPC, req, &resp); err != nil {
				t.Error(err)
			}
			done <- &resp
		}()
		a3 := mock.AllocFor(web, node, 2)
		applyPlan(t, s, web, a3)
		select {
		case resp := <-done:
			if resp.Index <= first.Index || !slices.Contains(allocIDs(resp.Allocs), a3.ID) {
				t.Fatalf("woke with index %d and %v, want > %d with %s", resp.Index, allocIDs(resp.Allocs), first.Index, a3.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("blocking query did not wake")
		}
	})
}

func getNodeAllocs(t *testing.T, rpc structs.RPCer, req *structs.NodeSpecificRequest) *structs.NodeAllocsResponse {
	t.Helper()
	var resp structs.NodeAllocsResponse
	if err := rpc.RPC(structs.NodeGetAllocsRPC, req, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp
}

func allocIDs(allocs []*structs.Allocation) []string {
	var ids []string
	for _, a := range allocs {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}
