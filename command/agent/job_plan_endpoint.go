package agent

import (
	"net/http"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// jobPlan serves PUT/POST /v1/job/{id}/plan: the job is checked as a
// registration would be, then the server's dry run answers in Nomad's
// JobPlanResponse shape. Keys the agent ignored come back as Warnings.
func (s *HTTPServer) jobPlan(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args api.JobPlanRequest
	warnings, err := decodeBodyWarn(r, &args)
	if err != nil {
		return nil, err
	}
	job, err := s.checkedJob(r, args.Job, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	wr := s.writeRequest(r)
	wr.Namespace = job.Namespace
	req := structs.JobPlanRequest{Job: job, Diff: args.Diff, PolicyOverride: args.PolicyOverride, WriteRequest: wr}
	var out structs.JobPlanResponse
	if err := s.rpc.RPC(structs.JobPlanRPC, &req, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	if out.Warnings != "" {
		warnings = append(warnings, out.Warnings)
	}
	out.Warnings = FormatWarnings(warnings)
	return &out, nil
}
