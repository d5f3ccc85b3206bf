package agent

import (
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func (s *HTTPServer) nodesList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.NodeListRequest
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.NodeListResponse
	if err := s.rpc.RPC(structs.NodeListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return emptyIfNil(out.Nodes), nil
}

func (s *HTTPServer) nodeGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.NodeSpecificRequest{NodeID: r.PathValue("id")}
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SingleNodeResponse
	if err := s.rpc.RPC(structs.NodeGetNodeRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Node == nil {
		return nil, notFound("node")
	}
	return out.Node, nil
}

// nodeAllocations answers with full allocations, as Nomad does. There is
// no by-node read RPC open to agents (Node.GetClientAllocs wants the
// node's secret), so it filters the allocation list and then fetches the
// matching allocations in one batch; both reads honour blocking options.
func (s *HTTPServer) nodeAllocations(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	nodeID := r.PathValue("id")
	var list structs.AllocListRequest
	if err := s.parseQueryOptions(r, &list.QueryOptions); err != nil {
		return nil, err
	}
	var listed structs.AllocListResponse
	if err := s.rpc.RPC(structs.AllocListRPC, &list, &listed); err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range listed.Allocations {
		if a.NodeID == nodeID {
			ids = append(ids, a.ID)
		}
	}
	setMeta(w, &listed.QueryMeta)
	if len(ids) == 0 {
		return []*structs.Allocation{}, nil
	}
	get := structs.AllocsGetRequest{AllocIDs: ids}
	get.QueryOptions = list.QueryOptions
	get.MinQueryIndex = 0
	var out structs.AllocsGetResponse
	if err := s.rpc.RPC(structs.AllocGetAllocsRPC, &get, &out); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Allocs), nil
}
