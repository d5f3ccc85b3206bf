package agent

import (
	"net/http"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// nodeDrainResponse is Nomad's answer to a drain or eligibility change.
type nodeDrainResponse struct {
	NodeModifyIndex uint64
	Index           uint64
}

// nodeDrain starts or ends a drain: POST /v1/node/:id/drain with
// {"DrainSpec": {"Deadline": ns, "IgnoreSystemJobs": bool}, "MarkEligible": bool};
// a null DrainSpec ends the drain.
func (s *HTTPServer) nodeDrain(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var body api.NodeUpdateDrainRequest
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	args := structs.NodeUpdateDrainRequest{
		NodeID:       r.PathValue("id"),
		MarkEligible: body.MarkEligible,
		WriteRequest: s.writeRequest(r),
	}
	if body.DrainSpec != nil {
		args.DrainStrategy = &structs.DrainStrategy{DrainSpec: structs.DrainSpec{
			Deadline:         body.DrainSpec.Deadline,
			IgnoreSystemJobs: body.DrainSpec.IgnoreSystemJobs,
		}}
	}
	var out structs.GenericResponse
	if err := s.rpc.RPC(structs.NodeUpdateDrainRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &nodeDrainResponse{NodeModifyIndex: out.Index, Index: out.Index}, nil
}

// nodeEligibility sets eligibility: POST /v1/node/:id/eligibility with
// {"Eligibility": "eligible|ineligible"}.
func (s *HTTPServer) nodeEligibility(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var body api.NodeUpdateEligibilityRequest
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	args := structs.NodeUpdateEligibilityRequest{
		NodeID:       r.PathValue("id"),
		Eligibility:  body.Eligibility,
		WriteRequest: s.writeRequest(r),
	}
	var out structs.GenericResponse
	if err := s.rpc.RPC(structs.NodeUpdateEligibilityRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &nodeDrainResponse{NodeModifyIndex: out.Index, Index: out.Index}, nil
}
