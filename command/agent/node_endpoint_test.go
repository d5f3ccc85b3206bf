package agent

import (
	"encoding/json"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestNodeAllocations checks that the handler asks for the node's
// allocations of every namespace, whatever ?namespace= says, and passes
// the blocking options on.
func TestNodeAllocations(t *testing.T) {
	node := mock.Node()
	a, b := mock.AllocFor(mock.Job(), node, 0), mock.AllocFor(mock.Job(), node, 1)
	b.Namespace = "team-b"
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.NodeGetAllocsRPC: func(args, reply interface{}) error {
			reply.(*structs.NodeAllocsResponse).Allocs = []*structs.Allocation{a, b}
			reply.(*structs.NodeAllocsResponse).Index = 42
			return nil
		},
	}}
	rec := do(t, newTestHTTP(t, rpc, nil), "GET", "/v1/node/"+node.ID+"/allocations?namespace=default&index=7", "", nil)
	if rec.Code != 200 {
		t.Fatalf("code %d: %s", rec.Code, rec.Body)
	}
	args := rpc.lastArgs(t).(*structs.NodeSpecificRequest)
	if args.NodeID != node.ID || args.MinQueryIndex != 7 {
		t.Fatalf("rpc args node %q index %d", args.NodeID, args.MinQueryIndex)
	}
	var got []*structs.Allocation
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Namespace != "team-b" || rec.Header().Get("X-Nomad-Index") != "42" {
		t.Fatalf("answer %d allocations, index %q", len(got), rec.Header().Get("X-Nomad-Index"))
	}
}
