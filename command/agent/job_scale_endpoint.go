package agent

import (
	"fmt"
	"net/http"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// jobScale handles PUT/POST /v1/job/:id/scale (Nomad's JobScaleRequest).
func (s *HTTPServer) jobScale(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.ScalingRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if j := in.Target["Job"]; j != "" && j != id {
		return nil, badRequest("Target.Job %q does not match the job %q in the path", j, id)
	}
	if in.Target["Group"] == "" {
		return nil, badRequest("Target.Group is required: name the task group to scale")
	}
	args := structs.JobScaleRequest{
		JobID: id, Target: in.Target, Count: in.Count, Message: in.Message, Error: in.Error,
		Meta: stringifyMeta(in.Meta), PolicyOverride: in.PolicyOverride,
		// As in Nomad, a JobModifyIndex of 0 enforces nothing.
		EnforceIndex: in.JobModifyIndex != 0, JobModifyIndex: in.JobModifyIndex,
		WriteRequest: s.writeRequest(r),
	}
	var out structs.JobRegisterResponse
	if err := s.rpc.RPC(structs.JobScaleRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &out, nil
}

// stringifyMeta keeps Nomad's any-valued meta as text, which is how
// orch stores it.
func stringifyMeta(in map[string]interface{}) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// jobScaleStatus handles GET /v1/job/:id/scale.
func (s *HTTPServer) jobScaleStatus(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.JobScaleStatusRequest{JobID: r.PathValue("id")}
	var out structs.JobScaleStatusResponse
	if err := s.query(w, r, structs.JobScaleStatusRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.JobScaleStatus == nil {
		return nil, notFound("job")
	}
	return out.JobScaleStatus, nil
}

// scalingPolicies handles GET /v1/scaling/policies (?job=, ?type=).
func (s *HTTPServer) scalingPolicies(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.ScalingPolicyListRequest{Job: r.URL.Query().Get("job"), Type: r.URL.Query().Get("type")}
	var out structs.ScalingPolicyListResponse
	if err := s.query(w, r, structs.ScalingListPoliciesRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return out.Policies, nil
}

// scalingPolicy handles GET /v1/scaling/policy/:id.
func (s *HTTPServer) scalingPolicy(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.ScalingPolicySpecificRequest{ID: r.PathValue("id")}
	var out structs.SingleScalingPolicyResponse
	if err := s.query(w, r, structs.ScalingGetPolicyRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.Policy == nil {
		return nil, notFound("scaling policy")
	}
	return out.Policy, nil
}
