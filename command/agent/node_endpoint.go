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
	args.Resources = r.URL.Query().Get("resources") == "true"
	var out structs.NodeListResponse
	if err := s.rpc.RPC(structs.NodeListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return emptyIfNil(out.Nodes), nil
}

func (s *HTTPServer) nodeGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.NodeSpecificRequest{NodeID: r.PathValue("id")}
	var out structs.SingleNodeResponse
	if err := s.query(w, r, structs.NodeGetNodeRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.Node == nil {
		return nil, notFound("node")
	}
	return out.Node, nil
}

// nodeAllocations answers with the node's full allocations in every
// namespace, as Nomad does: a node runs work of all namespaces, so
// ?namespace= does not narrow it.
func (s *HTTPServer) nodeAllocations(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.NodeSpecificRequest{NodeID: r.PathValue("id")}
	var out structs.NodeAllocsResponse
	if err := s.query(w, r, structs.NodeGetAllocsRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Allocs), nil
}
