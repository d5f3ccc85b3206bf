package agent

import (
	"net/http"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// jobVersions serves GET /v1/job/:id/versions in Nomad's shape:
// {"Versions": [...newest first], "Diffs": [...] }.
func (s *HTTPServer) jobVersions(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	diffs, err := boolParam(r, "diffs")
	if err != nil {
		return nil, err
	}
	args := structs.JobVersionsRequest{JobID: r.PathValue("id"), Diffs: diffs}
	var out structs.JobVersionsResponse
	if err := s.query(w, r, structs.JobGetJobVersionsRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if len(out.Versions) == 0 {
		return nil, notFound("job")
	}
	return &out, nil
}

// jobRevert serves PUT/POST /v1/job/:id/revert with Nomad's
// JobRevertRequest body; the answer is a registration's.
func (s *HTTPServer) jobRevert(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.JobRevertRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if in.JobID != "" && in.JobID != id {
		return nil, badRequest("JobID %q in the body does not match the job %q in the path", in.JobID, id)
	}
	args := structs.JobRevertRequest{
		JobID:               id,
		JobVersion:          in.JobVersion,
		EnforcePriorVersion: in.EnforcePriorVersion,
		WriteRequest:        s.writeRequest(r),
	}
	var out structs.JobRegisterResponse
	if err := s.rpc.RPC(structs.JobRevertRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &out, nil
}

// jobStable serves PUT/POST /v1/job/:id/stable with Nomad's
// JobStabilityRequest body.
func (s *HTTPServer) jobStable(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.JobStabilityRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if in.JobID != "" && in.JobID != id {
		return nil, badRequest("JobID %q in the body does not match the job %q in the path", in.JobID, id)
	}
	args := structs.JobStabilityRequest{
		JobID: id, JobVersion: in.JobVersion, Stable: in.Stable,
		WriteRequest: s.writeRequest(r),
	}
	var out structs.JobStabilityResponse
	if err := s.rpc.RPC(structs.JobStableRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &api.JobStabilityResponse{Index: out.Index}, nil
}
