package api

import (
	"net/http"
	"net/url"
)

// Periodic and parameterized jobs, in the JSON shape of Nomad's API.
const (
	PeriodicSpecCron = "cron"

	DispatchPayloadOptional  = "optional"
	DispatchPayloadRequired  = "required"
	DispatchPayloadForbidden = "forbidden"

	// DefaultPeriodicTimeZone is the zone cron expressions are read in
	// when the job names none.
	DefaultPeriodicTimeZone = "UTC"
)

// PeriodicConfig launches a child of the job at each time one of its cron
// expressions names. Spec is Nomad's older single expression (`cron`),
// Specs the newer list (`crons`).
type PeriodicConfig struct {
	Enabled         *bool
	Spec            *string
	Specs           []string
	SpecType        *string
	ProhibitOverlap *bool
	TimeZone        *string
}

// Canonicalize fills Nomad's defaults: enabled, cron, overlap allowed, UTC.
func (p *PeriodicConfig) Canonicalize() {
	if p == nil {
		return
	}
	setDefault(&p.Enabled, true)
	setDefault(&p.Spec, "")
	setDefault(&p.SpecType, PeriodicSpecCron)
	setDefault(&p.ProhibitOverlap, false)
	if p.TimeZone == nil || *p.TimeZone == "" {
		p.TimeZone = PointerOf(DefaultPeriodicTimeZone)
	}
}

// ParameterizedJobConfig makes the job a template that runs only when
// dispatched. Payload is "optional" (the default), "required" or
// "forbidden"; a dispatch must give every MetaRequired key and may give
// MetaOptional ones, nothing else.
type ParameterizedJobConfig struct {
	Payload      string
	MetaRequired []string
	MetaOptional []string
}

// Canonicalize fills Nomad's default payload mode.
func (p *ParameterizedJobConfig) Canonicalize() {
	if p != nil && p.Payload == "" {
		p.Payload = DispatchPayloadOptional
	}
}

// DispatchPayloadConfig writes a dispatched job's payload to File, under
// the task's local/ directory.
type DispatchPayloadConfig struct {
	File string
}

// JobDispatchRequest is the body of POST /v1/job/:id/dispatch. Payload is
// base64 in JSON, as encoding/json writes []byte.
type JobDispatchRequest struct {
	JobID   string
	Payload []byte            `json:",omitempty"`
	Meta    map[string]string `json:",omitempty"`
	WriteRequest
}

// JobDispatchResponse names the dispatched child job and its evaluation.
type JobDispatchResponse struct {
	DispatchedJobID string
	EvalID          string
	EvalCreateIndex uint64
	JobCreateIndex  uint64
	Index           uint64
}

// PeriodicForceResponse answers POST /v1/job/:id/periodic/force.
type PeriodicForceResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	Index           uint64
}

// Dispatch launches a child of a parameterized job with meta and payload
// (nil for none).
func (j *Jobs) Dispatch(jobID string, meta map[string]string, payload []byte, q *WriteOptions) (*JobDispatchResponse, *WriteMeta, error) {
	req := &JobDispatchRequest{JobID: jobID, Meta: meta, Payload: payload}
	var out JobDispatchResponse
	wm, err := j.client.write(http.MethodPost, "/v1/job/"+url.PathEscape(jobID)+"/dispatch", req, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// PeriodicForce launches a child of a periodic job now and returns its
// evaluation's ID.
func (j *Jobs) PeriodicForce(jobID string, q *WriteOptions) (string, *WriteMeta, error) {
	var out PeriodicForceResponse
	wm, err := j.client.write(http.MethodPost, "/v1/job/"+url.PathEscape(jobID)+"/periodic/force", nil, &out, q)
	if err != nil {
		return "", nil, err
	}
	return out.EvalID, wm, nil
}
