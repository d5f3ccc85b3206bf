package agent

import (
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func (s *HTTPServer) allocsList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.AllocListRequest
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.AllocListResponse
	if err := s.rpc.RPC(structs.AllocListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return emptyIfNil(out.Allocations), nil
}

func (s *HTTPServer) allocGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.AllocSpecificRequest{AllocID: r.PathValue("id")}
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SingleAllocResponse
	if err := s.rpc.RPC(structs.AllocGetAllocRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Alloc == nil {
		return nil, notFound("alloc")
	}
	return out.Alloc, nil
}
