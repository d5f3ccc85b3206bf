package api

import (
	"net/http"
	"net/url"
	"strconv"
)

// Jobs is the job part of the API.
type Jobs struct{ client *Client }

// Jobs returns the job endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{client: c} }

// RegisterOptions tune a registration.
type RegisterOptions struct {
	// EnforceIndex with ModifyIndex registers only if the job's current
	// JobModifyIndex is ModifyIndex (0: the job must not exist yet).
	EnforceIndex   bool
	ModifyIndex    uint64
	PolicyOverride bool
	PreserveCounts bool
}

// Register creates or updates job and returns the evaluation it triggered.
func (j *Jobs) Register(job *Job, q *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	return j.RegisterOpts(job, nil, q)
}

// RegisterOpts is Register with options.
func (j *Jobs) RegisterOpts(job *Job, opts *RegisterOptions, q *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	req := &JobRegisterRequest{Job: job}
	if opts != nil {
		req.EnforceIndex = opts.EnforceIndex
		req.JobModifyIndex = opts.ModifyIndex
		req.PolicyOverride = opts.PolicyOverride
		req.PreserveCounts = opts.PreserveCounts
	}
	var resp JobRegisterResponse
	wm, err := j.client.write(http.MethodPut, "/v1/jobs", req, &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, wm, nil
}

// List returns every job of the namespace.
func (j *Jobs) List(q *QueryOptions) ([]*JobListStub, *QueryMeta, error) {
	var out []*JobListStub
	qm, err := j.client.query("/v1/jobs", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// PrefixList returns the jobs whose ID starts with prefix.
func (j *Jobs) PrefixList(prefix string) ([]*JobListStub, *QueryMeta, error) {
	return j.List(&QueryOptions{Prefix: prefix})
}

// Info reads one job.
func (j *Jobs) Info(jobID string, q *QueryOptions) (*Job, *QueryMeta, error) {
	var out Job
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists a job's allocations; allAllocs includes those of
// earlier registrations of the job's ID (a job purged and registered
// again), not only of the current one.
func (j *Jobs) Allocations(jobID string, allAllocs bool, q *QueryOptions) ([]*AllocationListStub, *QueryMeta, error) {
	q = withParam(q, "all", strconv.FormatBool(allAllocs))
	var out []*AllocationListStub
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/allocations", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Evaluations lists a job's evaluations.
func (j *Jobs) Evaluations(jobID string, q *QueryOptions) ([]*Evaluation, *QueryMeta, error) {
	var out []*Evaluation
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/evaluations", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Summary counts a job's allocations per group and status.
func (j *Jobs) Summary(jobID string, q *QueryOptions) (*JobSummary, *QueryMeta, error) {
	var out JobSummary
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/summary", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Deregister stops a job, or removes it entirely when purge is set, and
// returns the ID of the evaluation that stops its allocations.
func (j *Jobs) Deregister(jobID string, purge bool, q *WriteOptions) (string, *WriteMeta, error) {
	return j.DeregisterOpts(jobID, &DeregisterOptions{Purge: purge}, q)
}

// DeregisterOptions tunes a job stop (DeregisterOpts), as Nomad's do.
type DeregisterOptions struct {
	// Purge removes the job instead of only marking it stopped.
	Purge bool
	// NoShutdownDelay makes the clients skip the group's and tasks'
	// shutdown_delay: services are deregistered and the tasks killed
	// right away.
	NoShutdownDelay bool
}

// DeregisterOpts is Deregister with options; nil opts is a plain stop.
func (j *Jobs) DeregisterOpts(jobID string, opts *DeregisterOptions, q *WriteOptions) (string, *WriteMeta, error) {
	r := j.client.newRequest(http.MethodDelete, "/v1/job/"+url.PathEscape(jobID))
	r.setWriteOptions(q)
	if opts != nil && opts.Purge {
		r.params.Set("purge", "true")
	}
	if opts != nil && opts.NoShutdownDelay {
		r.params.Set("no_shutdown_delay", "true")
	}
	resp, rtt, err := j.client.do(r)
	if err != nil {
		return "", nil, err
	}
	wm := &WriteMeta{RequestTime: rtt, LastIndex: parseQueryMeta(resp).LastIndex}
	var out JobDeregisterResponse
	if err := decodeBody(resp, &out); err != nil {
		return "", nil, err
	}
	return out.EvalID, wm, nil
}

// ParseHCL asks the agent to parse a jobspec; canonicalize fills defaults.
func (j *Jobs) ParseHCL(jobHCL string, canonicalize bool) (*Job, error) {
	req := &JobsParseRequest{JobHCL: jobHCL, Canonicalize: canonicalize}
	var out Job
	if _, err := j.client.write(http.MethodPost, "/v1/jobs/parse", req, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Validate checks a job without registering it.
func (j *Jobs) Validate(job *Job, q *WriteOptions) (*JobValidateResponse, *WriteMeta, error) {
	var out JobValidateResponse
	wm, err := j.client.write(http.MethodPut, "/v1/validate/job", &JobValidateRequest{Job: job}, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// withParam returns a copy of q with one more query parameter, so callers'
// options are never changed behind their back.
func withParam(q *QueryOptions, k, v string) *QueryOptions {
	var c QueryOptions
	if q != nil {
		c = *q
	}
	params := make(map[string]string, len(c.Params)+1)
	for pk, pv := range c.Params {
		params[pk] = pv
	}
	params[k] = v
	c.Params = params
	return &c
}
