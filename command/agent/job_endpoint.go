package agent

import (
	"net/http"
	"strings"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func (s *HTTPServer) jobsList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.JobListRequest
	var out structs.JobListResponse
	if err := s.query(w, r, structs.JobListRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Jobs), nil
}

func (s *HTTPServer) jobsRegister(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	return s.register(w, r, "")
}

func (s *HTTPServer) jobRegister(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	return s.register(w, r, r.PathValue("id"))
}

// register handles both PUT /v1/jobs and PUT /v1/job/{id}; pathID is ""
// for the former. Everything is checked before the RPC so a rejected
// request changes no state.
func (s *HTTPServer) register(w http.ResponseWriter, r *http.Request, pathID string) (interface{}, error) {
	var args api.JobRegisterRequest
	warnings, err := decodeBodyWarn(r, &args)
	if err != nil {
		return nil, err
	}
	job, err := s.checkedJob(r, args.Job, pathID)
	if err != nil {
		return nil, err
	}
	wr := s.writeRequest(r)
	wr.Namespace = job.Namespace
	req := structs.JobRegisterRequest{
		Job:            job,
		EnforceIndex:   args.EnforceIndex,
		JobModifyIndex: args.JobModifyIndex,
		PreserveCounts: args.PreserveCounts,
		WriteRequest:   wr,
	}
	var out structs.JobRegisterResponse
	if err := s.rpc.RPC(structs.JobRegisterRPC, &req, &out); err != nil {
		return nil, err
	}
	setIndex(w, max(out.Index, out.JobModifyIndex))
	if out.Warnings != "" {
		warnings = append(warnings, out.Warnings)
	}
	out.Warnings = FormatWarnings(warnings)
	return &out, nil
}

// checkedJob canonicalizes, converts and validates a job from a request
// body, with the ID in the path (if any) having to match.
func (s *HTTPServer) checkedJob(r *http.Request, in *api.Job, pathID string) (*structs.Job, error) {
	if in == nil {
		return nil, badRequest("job is required: the request body must have a \"Job\" object")
	}
	if in.ID == nil || *in.ID == "" {
		return nil, badRequest("job ID is required")
	}
	if pathID != "" && *in.ID != pathID {
		return nil, badRequest("job ID does not match: the path has %q but the body has %q", pathID, *in.ID)
	}
	// An explicit ?namespace= names the job's namespace unless the job
	// names its own; Canonicalize would otherwise put it in "default".
	if (in.Namespace == nil || *in.Namespace == "") && r.URL.Query().Get("namespace") != "" {
		ns := namespaceOf(r)
		in.Namespace = &ns
	}
	if (in.Region == nil || *in.Region == "") && s.region != "" {
		region := s.regionOf(r)
		in.Region = &region
	}
	if in.Region != nil {
		if err := s.checkRegion(*in.Region); err != nil {
			return nil, err
		}
	}
	job := ConvertJob(in)
	if errs := validationErrors(job); len(errs) > 0 {
		return nil, badRequest("invalid job: %s", strings.Join(errs, "; "))
	}
	return job, nil
}

func (s *HTTPServer) jobsParse(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args api.JobsParseRequest
	if err := decodeBody(r, &args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(args.JobHCL) == "" {
		return nil, badRequest("JobHCL is required: the request body must carry the jobspec source")
	}
	if s.parser == nil {
		return nil, &codedError{code: http.StatusNotImplemented, msg: "this agent cannot parse jobspecs"}
	}
	var vars []byte
	if args.Variables != "" {
		vars = []byte(args.Variables)
	}
	job, err := s.parser("input.hcl", []byte(args.JobHCL), vars)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if args.Canonicalize {
		job.Canonicalize()
	}
	return job, nil
}

func (s *HTTPServer) jobGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.JobSpecificRequest{JobID: r.PathValue("id")}
	var out structs.SingleJobResponse
	if err := s.query(w, r, structs.JobGetJobRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.Job == nil {
		return nil, notFound("job")
	}
	return out.Job, nil
}

func (s *HTTPServer) jobDeregister(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	purge, err := boolParam(r, "purge")
	if err != nil {
		return nil, err
	}
	noShutdownDelay, err := boolParam(r, "no_shutdown_delay")
	if err != nil {
		return nil, err
	}
	args := structs.JobDeregisterRequest{
		JobID:           r.PathValue("id"),
		Purge:           purge,
		NoShutdownDelay: noShutdownDelay,
		WriteRequest:    s.writeRequest(r),
	}
	var out structs.JobDeregisterResponse
	if err := s.rpc.RPC(structs.JobDeregisterRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, max(out.Index, out.JobModifyIndex))
	return &out, nil
}

func (s *HTTPServer) jobAllocations(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	all, err := boolParam(r, "all")
	if err != nil {
		return nil, err
	}
	args := structs.JobSpecificRequest{JobID: r.PathValue("id"), All: all}
	var out structs.JobAllocationsResponse
	if err := s.query(w, r, structs.JobAllocationsRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Allocations), nil
}

func (s *HTTPServer) jobEvaluations(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.JobSpecificRequest{JobID: r.PathValue("id")}
	var out structs.JobEvaluationsResponse
	if err := s.query(w, r, structs.JobEvaluationsRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Evaluations), nil
}

func (s *HTTPServer) jobSummary(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.JobSpecificRequest{JobID: r.PathValue("id")}
	var out structs.JobSummaryResponse
	if err := s.query(w, r, structs.JobSummaryRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	if out.JobSummary == nil {
		return nil, notFound("job")
	}
	return out.JobSummary, nil
}

// jobValidate answers 200 with the problems listed, as Nomad does: an
// invalid job is the expected outcome of validation, not a failed request.
func (s *HTTPServer) jobValidate(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args api.JobValidateRequest
	warnings, err := decodeBodyWarn(r, &args)
	if err != nil {
		return nil, err
	}
	if args.Job == nil {
		return nil, badRequest("job is required: the request body must have a \"Job\" object")
	}
	var errs []string
	// As register does: a job naming no region is the agent's, before
	// Canonicalize would call it "global".
	if in := args.Job; in.Region != nil && *in.Region != "" {
		if err := s.checkRegion(*in.Region); err != nil {
			errs = append(errs, err.Error())
		}
	} else {
		region := s.regionOf(r)
		in.Region = &region
	}
	if args.Job.ID == nil || *args.Job.ID == "" {
		errs = append(errs, "job ID is required")
	} else {
		job := ConvertJob(args.Job)
		errs = append(errs, validationErrors(job)...)
		warnings = append(warnings, s.capacityWarnings(job, job.Region)...)
	}
	out := &api.JobValidateResponse{ValidationErrors: emptyIfNil(errs), Warnings: FormatWarnings(warnings)}
	if len(errs) > 0 {
		out.Error = strings.Join(errs, "; ")
	}
	return out, nil
}

// validationErrors lists a canonical job's problems one per entry, each
// naming its field, as /v1/validate/job reports them.
func validationErrors(j *structs.Job) []string {
	var out []string
	err := j.Validate()
	if err == nil {
		return out
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return append(out, err.Error())
}
