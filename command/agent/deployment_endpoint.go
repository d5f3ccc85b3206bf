package agent

import (
	"net/http"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// registerDeploymentRoutes maps Nomad's deployment paths; registerRoutes
// calls it.
func (s *HTTPServer) registerDeploymentRoutes() {
	routes := []struct {
		pattern, name string
		h             endpoint
	}{
		{"GET /v1/deployments", "deployments_list", s.deploymentsList},
		{"GET /v1/deployment/{id}", "deployment_get", s.deploymentGet},
		{"GET /v1/deployment/allocations/{id}", "deployment_allocations", s.deploymentAllocations},
		{"PUT /v1/deployment/promote/{id}", "deployment_promote", s.deploymentPromote},
		{"POST /v1/deployment/promote/{id}", "deployment_promote", s.deploymentPromote},
		{"PUT /v1/deployment/fail/{id}", "deployment_fail", s.deploymentFail},
		{"POST /v1/deployment/fail/{id}", "deployment_fail", s.deploymentFail},
		{"PUT /v1/deployment/pause/{id}", "deployment_pause", s.deploymentPause},
		{"POST /v1/deployment/pause/{id}", "deployment_pause", s.deploymentPause},
		{"PUT /v1/deployment/allocation-health/{id}", "deployment_alloc_health", s.deploymentAllocHealth},
		{"POST /v1/deployment/allocation-health/{id}", "deployment_alloc_health", s.deploymentAllocHealth},
		{"GET /v1/job/{id}/deployments", "job_deployments", s.jobDeployments},
		{"GET /v1/job/{id}/deployment", "job_latest_deployment", s.jobLatestDeployment},
	}
	for _, rt := range routes {
		s.mux.Handle(rt.pattern, s.wrap(rt.name, rt.h))
	}
}

func (s *HTTPServer) deploymentsList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.DeploymentListRequest
	var out structs.DeploymentListResponse
	if err := s.query(w, r, structs.DeploymentListRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Deployments), nil
}

func (s *HTTPServer) deploymentGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.DeploymentSpecificRequest{DeploymentID: r.PathValue("id")}
	var out structs.SingleDeploymentResponse
	if err := s.query(w, r, structs.DeploymentGetDeploymentRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.Deployment == nil {
		return nil, notFound("deployment")
	}
	return out.Deployment, nil
}

func (s *HTTPServer) deploymentAllocations(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.DeploymentSpecificRequest{DeploymentID: r.PathValue("id")}
	var out structs.AllocListResponse
	if err := s.query(w, r, structs.DeploymentAllocationsRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Allocations), nil
}

// pathDeploymentID checks that a body's DeploymentID, when given, names
// the deployment of the path.
func pathDeploymentID(r *http.Request, body string) (string, error) {
	id := r.PathValue("id")
	if body != "" && body != id {
		return "", badRequest("DeploymentID %q in the body does not match the deployment %q in the path", body, id)
	}
	return id, nil
}

// deploymentWrite sends one deployment write and answers Nomad's
// DeploymentUpdateResponse.
func (s *HTTPServer) deploymentWrite(w http.ResponseWriter, method string, args interface{}) (interface{}, error) {
	var out structs.DeploymentUpdateResponse
	if err := s.rpc.RPC(method, args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return &api.DeploymentUpdateResponse{
		EvalID:                out.EvalID,
		EvalCreateIndex:       out.EvalCreateIndex,
		DeploymentModifyIndex: out.DeploymentModifyIndex,
		RevertedJobVersion:    out.RevertedJobVersion,
		Index:                 out.Index,
	}, nil
}

// deploymentPromote serves /v1/deployment/promote/:id with
// {"DeploymentID", "All", "Groups"}: All, or the groups named.
func (s *HTTPServer) deploymentPromote(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.DeploymentPromoteRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	id, err := pathDeploymentID(r, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.All && len(in.Groups) > 0 {
		return nil, badRequest("set either All or Groups, not both: All promotes every group")
	}
	if !in.All && len(in.Groups) == 0 {
		return nil, badRequest("Groups is empty and All is false: name the task groups to promote, or set All")
	}
	args := structs.DeploymentPromoteRequest{DeploymentID: id, All: in.All, Groups: in.Groups, WriteRequest: s.writeRequest(r)}
	return s.deploymentWrite(w, structs.DeploymentPromoteRPC, &args)
}

// deploymentFail serves /v1/deployment/fail/:id; the body is optional.
func (s *HTTPServer) deploymentFail(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.DeploymentFailRequest
	if r.ContentLength != 0 {
		if err := decodeBody(r, &in); err != nil {
			return nil, err
		}
	}
	id, err := pathDeploymentID(r, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	args := structs.DeploymentFailRequest{DeploymentID: id, WriteRequest: s.writeRequest(r)}
	return s.deploymentWrite(w, structs.DeploymentFailRPC, &args)
}

// deploymentPause serves /v1/deployment/pause/:id with {"Pause": bool}:
// false resumes.
func (s *HTTPServer) deploymentPause(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.DeploymentPauseRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	id, err := pathDeploymentID(r, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	args := structs.DeploymentPauseRequest{DeploymentID: id, Pause: in.Pause, WriteRequest: s.writeRequest(r)}
	return s.deploymentWrite(w, structs.DeploymentPauseRPC, &args)
}

// deploymentAllocHealth serves /v1/deployment/allocation-health/:id with
// {"HealthyAllocationIDs", "UnhealthyAllocationIDs"}.
func (s *HTTPServer) deploymentAllocHealth(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.DeploymentAllocHealthRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	id, err := pathDeploymentID(r, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if len(in.HealthyAllocationIDs)+len(in.UnhealthyAllocationIDs) == 0 {
		return nil, badRequest("HealthyAllocationIDs and UnhealthyAllocationIDs are both empty: name at least one allocation")
	}
	args := structs.DeploymentAllocHealthRequest{
		DeploymentID:           id,
		HealthyAllocationIDs:   in.HealthyAllocationIDs,
		UnhealthyAllocationIDs: in.UnhealthyAllocationIDs,
		WriteRequest:           s.writeRequest(r),
	}
	return s.deploymentWrite(w, structs.DeploymentSetAllocHealthRPC, &args)
}

func (s *HTTPServer) jobDeployments(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	all, err := boolParam(r, "all")
	if err != nil {
		return nil, err
	}
	args := structs.JobSpecificRequest{JobID: r.PathValue("id"), All: all}
	var out structs.DeploymentListResponse
	if err := s.query(w, r, structs.JobDeploymentsRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Deployments), nil
}

// jobLatestDeployment answers null, as Nomad does, for a job without one.
func (s *HTTPServer) jobLatestDeployment(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.JobSpecificRequest{JobID: r.PathValue("id")}
	var out structs.SingleDeploymentResponse
	if err := s.query(w, r, structs.JobLatestDeploymentRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.Deployment == nil {
		writeJSON(w, r, http.StatusOK, nil)
		return nil, nil
	}
	return out.Deployment, nil
}
