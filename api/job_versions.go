package api

import (
	"net/http"
	"net/url"
	"strconv"
)

// JobVersionsResponse is the answer of GET /v1/job/:id/versions: the kept
// versions, newest first, and with diffs requested the change that led to
// each version but the oldest (Diffs[i] is Versions[i+1] → Versions[i]).
type JobVersionsResponse struct {
	Versions []*Job
	Diffs    []*JobDiff
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

// Versions lists the kept versions of a job, newest first; with diffs the
// change that led to each version is returned beside it.
func (j *Jobs) Versions(jobID string, diffs bool, q *QueryOptions) ([]*Job, []*JobDiff, *QueryMeta, error) {
	q = withParam(q, "diffs", strconv.FormatBool(diffs))
	var out JobVersionsResponse
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/versions", &out, q)
	if err != nil {
		return nil, nil, nil, err
	}
	return out.Versions, out.Diffs, qm, nil
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
