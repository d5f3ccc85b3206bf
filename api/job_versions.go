package api

import (
	"net/http"
	"net/url"
)

// JobVersionsResponse is the answer of GET /v1/job/:id/versions: the kept
// versions, newest first.
type JobVersionsResponse struct {
	Versions []*Job
	QueryMeta
}

// JobRevertRequest is the body of PUT /v1/job/:id/revert.
type JobRevertRequest struct {
	JobID      string
	JobVersion uint64
	// EnforcePriorVersion, when set, refuses the revert unless the job's
	// current version is this one.
	EnforcePriorVersion *uint64
	WriteRequest
}

// JobStabilityRequest is the body of PUT /v1/job/:id/stable.
type JobStabilityRequest struct {
	JobID      string
	JobVersion uint64
	Stable     bool
	WriteRequest
}

// JobStabilityResponse answers a JobStabilityRequest.
type JobStabilityResponse struct {
	Index uint64
}

// Versions lists the kept versions of a job, newest first.
func (j *Jobs) Versions(jobID string, q *QueryOptions) ([]*Job, *QueryMeta, error) {
	var out JobVersionsResponse
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/versions", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out.Versions, qm, nil
}

// Revert registers version of a job again as a new version. With
// enforcePriorVersion set, the revert is refused unless the job's current
// version is that one.
func (j *Jobs) Revert(jobID string, version uint64, enforcePriorVersion *uint64, q *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	req := &JobRevertRequest{JobID: jobID, JobVersion: version, EnforcePriorVersion: enforcePriorVersion}
	var resp JobRegisterResponse
	wm, err := j.client.write(http.MethodPut, "/v1/job/"+url.PathEscape(jobID)+"/revert", req, &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, wm, nil
}

// Stable marks a version of a job stable or not.
func (j *Jobs) Stable(jobID string, version uint64, stable bool, q *WriteOptions) (*JobStabilityResponse, *WriteMeta, error) {
	req := &JobStabilityRequest{JobID: jobID, JobVersion: version, Stable: stable}
	var resp JobStabilityResponse
	wm, err := j.client.write(http.MethodPut, "/v1/job/"+url.PathEscape(jobID)+"/stable", req, &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, wm, nil
}
