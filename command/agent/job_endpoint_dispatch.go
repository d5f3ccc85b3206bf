package agent

import (
	"net/http"
	"strings"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// jobDispatch handles POST /v1/job/{id}/dispatch: a child of the
// parameterized job with the body's Meta and Payload (base64).
func (s *HTTPServer) jobDispatch(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args api.JobDispatchRequest
	if r.ContentLength != 0 {
		if err := decodeBody(r, &args); err != nil {
			// encoding/json does not say which field held bad base64;
			// only Payload is bytes here.
			if strings.Contains(err.Error(), "illegal base64") {
				return nil, badRequest("invalid value for field \"Payload\": want base64-encoded bytes (%v)", err)
			}
			return nil, err
		}
	}
	id := r.PathValue("id")
	if args.JobID != "" && args.JobID != id {
		return nil, badRequest("JobID does not match: the path has %q but the body has %q", id, args.JobID)
	}
	req := structs.JobDispatchRequest{
		JobID:        id,
		Payload:      args.Payload,
		Meta:         args.Meta,
		WriteRequest: s.writeRequest(r),
	}
	var out structs.JobDispatchResponse
	if err := s.rpc.RPC(structs.JobDispatchRPC, &req, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &api.JobDispatchResponse{
		DispatchedJobID: out.DispatchedJobID,
		EvalID:          out.EvalID,
		EvalCreateIndex: out.EvalCreateIndex,
		JobCreateIndex:  out.JobCreateIndex,
		Index:           out.Index,
	}, nil
}

// jobPeriodicForce handles POST /v1/job/{id}/periodic/force: a child of
// the periodic job, launched now.
func (s *HTTPServer) jobPeriodicForce(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	req := structs.PeriodicForceRequest{JobID: r.PathValue("id"), WriteRequest: s.writeRequest(r)}
	var out structs.PeriodicForceResponse
	if err := s.rpc.RPC(structs.PeriodicForceRPC, &req, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &api.PeriodicForceResponse{EvalID: out.EvalID, EvalCreateIndex: out.EvalCreateIndex, Index: out.Index}, nil
}
