package agent

import (
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func (s *HTTPServer) evalsList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.EvalListRequest
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.EvalListResponse
	if err := s.rpc.RPC(structs.EvalListRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return emptyIfNil(out.Evaluations), nil
}

func (s *HTTPServer) evalGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.EvalSpecificRequest{EvalID: r.PathValue("id")}
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SingleEvalResponse
	if err := s.rpc.RPC(structs.EvalGetEvalRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	if out.Eval == nil {
		return nil, notFound("eval")
	}
	return out.Eval, nil
}

func (s *HTTPServer) evalAllocations(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.EvalSpecificRequest{EvalID: r.PathValue("id")}
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.EvalAllocationsResponse
	if err := s.rpc.RPC(structs.EvalAllocationsRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return emptyIfNil(out.Allocations), nil
}
