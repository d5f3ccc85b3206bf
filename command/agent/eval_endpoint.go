package agent

import (
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func (s *HTTPServer) evalsList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.EvalListRequest
	var out structs.EvalListResponse
	if err := s.query(w, r, structs.EvalListRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Evaluations), nil
}

func (s *HTTPServer) evalGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.EvalSpecificRequest{EvalID: r.PathValue("id")}
	var out structs.SingleEvalResponse
	if err := s.query(w, r, structs.EvalGetEvalRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.Eval == nil {
		return nil, notFound("eval")
	}
	return out.Eval, nil
}

func (s *HTTPServer) evalAllocations(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.EvalSpecificRequest{EvalID: r.PathValue("id")}
	var out structs.EvalAllocationsResponse
	if err := s.query(w, r, structs.EvalAllocationsRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Allocations), nil
}
