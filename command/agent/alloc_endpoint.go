package agent

import (
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func (s *HTTPServer) allocsList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.AllocListRequest
	var out structs.AllocListResponse
	if err := s.query(w, r, structs.AllocListRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Allocations), nil
}

func (s *HTTPServer) allocGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.AllocSpecificRequest{AllocID: r.PathValue("id")}
	var out structs.SingleAllocResponse
	if err := s.query(w, r, structs.AllocGetAllocRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.Alloc == nil {
		return nil, notFound("alloc")
	}
	return out.Alloc, nil
}
