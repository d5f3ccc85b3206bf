package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Deployment statuses.
const (
	DeploymentStatusRunning    = "running"
	DeploymentStatusPaused     = "paused"
	DeploymentStatusFailed     = "failed"
	DeploymentStatusSuccessful = "successful"
	DeploymentStatusCancelled  = "cancelled"
	DeploymentStatusPending    = "pending"
	DeploymentStatusBlocked    = "blocked"
	DeploymentStatusUnblocking = "unblocking"
)

// Deployment tracks the rollout of one version of a job, per task group.
type Deployment struct {
	ID                 string
	Namespace          string
	JobID              string
	JobVersion         uint64
	JobModifyIndex     uint64
	JobSpecModifyIndex uint64
	JobCreateIndex     uint64
	IsMultiregion      bool
	TaskGroups         map[string]*DeploymentState
	Status             string
	StatusDescription  string
	EvalPriority       int
	CreateIndex        uint64
	ModifyIndex        uint64
	CreateTime         int64
	ModifyTime         int64
}

// DeploymentState is one task group's part of a deployment.
type DeploymentState struct {
	PlacedCanaries    []string
	AutoRevert        bool
	AutoPromote       bool
	ProgressDeadline  time.Duration
	RequireProgressBy time.Time
	Promoted          bool
	DesiredCanaries   int
	DesiredTotal      int
	PlacedAllocs      int
	HealthyAllocs     int
	UnhealthyAllocs   int
}

// AllocDeploymentStatus is an allocation's health within its deployment.
type AllocDeploymentStatus struct {
	Healthy     *bool
	Timestamp   time.Time
	Canary      bool
	ModifyIndex uint64
}

// IsHealthy reports whether the allocation was judged healthy.
func (s *AllocDeploymentStatus) IsHealthy() bool {
	return s != nil && s.Healthy != nil && *s.Healthy
}

// IsUnhealthy reports whether the allocation was judged unhealthy.
func (s *AllocDeploymentStatus) IsUnhealthy() bool {
	return s != nil && s.Healthy != nil && !*s.Healthy
}

// DeploymentUpdateResponse answers every deployment write.
type DeploymentUpdateResponse struct {
	EvalID                string
	EvalCreateIndex       uint64
	DeploymentModifyIndex uint64
	// RevertedJobVersion is the version the job went back to, when
	// failing the deployment triggered auto_revert.
	RevertedJobVersion *uint64
	Index              uint64
}

// DeploymentPromoteRequest is the body of /v1/deployment/promote/:id.
type DeploymentPromoteRequest struct {
	DeploymentID string
	All          bool
	Groups       []string
	WriteRequest
}

// DeploymentPauseRequest is the body of /v1/deployment/pause/:id.
type DeploymentPauseRequest struct {
	DeploymentID string
	Pause        bool
	WriteRequest
}

// DeploymentFailRequest is the body of /v1/deployment/fail/:id.
type DeploymentFailRequest struct {
	DeploymentID string
	WriteRequest
}

// DeploymentAllocHealthRequest is the body of
// /v1/deployment/allocation-health/:id.
type DeploymentAllocHealthRequest struct {
	DeploymentID           string
	HealthyAllocationIDs   []string
	UnhealthyAllocationIDs []string
	WriteRequest
}

// Deployments is the deployment part of the API.
type Deployments struct{ client *Client }

// Deployments returns the deployment endpoints.
func (c *Client) Deployments() *Deployments { return &Deployments{client: c} }

// List returns the deployments of the namespace, newest first.
func (d *Deployments) List(q *QueryOptions) ([]*Deployment, *QueryMeta, error) {
	var out []*Deployment
	qm, err := d.client.query("/v1/deployments", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// PrefixList returns the deployments whose ID starts with prefix.
func (d *Deployments) PrefixList(prefix string) ([]*Deployment, *QueryMeta, error) {
	return d.List(&QueryOptions{Prefix: prefix})
}

// Info reads one deployment.
func (d *Deployments) Info(deploymentID string, q *QueryOptions) (*Deployment, *QueryMeta, error) {
	var out Deployment
	qm, err := d.client.query("/v1/deployment/"+url.PathEscape(deploymentID), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the allocations a deployment placed or updated.
func (d *Deployments) Allocations(deploymentID string, q *QueryOptions) ([]*AllocationListStub, *QueryMeta, error) {
	var out []*AllocationListStub
	qm, err := d.client.query("/v1/deployment/allocations/"+url.PathEscape(deploymentID), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

func (d *Deployments) update(verb, deploymentID string, in interface{}, q *WriteOptions) (*DeploymentUpdateResponse, *WriteMeta, error) {
	var resp DeploymentUpdateResponse
	wm, err := d.client.write(http.MethodPut, "/v1/deployment/"+verb+"/"+url.PathEscape(deploymentID), in, &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, wm, nil
}

// PromoteAll promotes the canaries of every group of the deployment.
func (d *Deployments) PromoteAll(deploymentID string, q *WriteOptions) (*DeploymentUpdateResponse, *WriteMeta, error) {
	return d.update("promote", deploymentID, &DeploymentPromoteRequest{DeploymentID: deploymentID, All: true}, q)
}

// Promote is PromoteAll.
func (d *Deployments) Promote(deploymentID string, q *WriteOptions) (*DeploymentUpdateResponse, *WriteMeta, error) {
	return d.PromoteAll(deploymentID, q)
}

// PromoteGroups promotes the canaries of the named groups only.
func (d *Deployments) PromoteGroups(deploymentID string, groups []string, q *WriteOptions) (*DeploymentUpdateResponse, *WriteMeta, error) {
	return d.update("promote", deploymentID, &DeploymentPromoteRequest{DeploymentID: deploymentID, Groups: groups}, q)
}

// Fail marks the deployment failed; with auto_revert the job goes back to
// its newest stable version.
func (d *Deployments) Fail(deploymentID string, q *WriteOptions) (*DeploymentUpdateResponse, *WriteMeta, error) {
	return d.update("fail", deploymentID, &DeploymentFailRequest{DeploymentID: deploymentID}, q)
}

// Pause pauses (pause true) or resumes the deployment.
func (d *Deployments) Pause(deploymentID string, pause bool, q *WriteOptions) (*DeploymentUpdateResponse, *WriteMeta, error) {
	return d.update("pause", deploymentID, &DeploymentPauseRequest{DeploymentID: deploymentID, Pause: pause}, q)
}

// SetAllocHealth marks allocations of the deployment healthy or unhealthy.
func (d *Deployments) SetAllocHealth(deploymentID string, healthy, unhealthy []string, q *WriteOptions) (*DeploymentUpdateResponse, *WriteMeta, error) {
	req := &DeploymentAllocHealthRequest{DeploymentID: deploymentID, HealthyAllocationIDs: healthy, UnhealthyAllocationIDs: unhealthy}
	return d.update("allocation-health", deploymentID, req, q)
}

// Deployments lists a job's deployments, newest first; all includes those
// of earlier registrations of the job's ID.
func (j *Jobs) Deployments(jobID string, all bool, q *QueryOptions) ([]*Deployment, *QueryMeta, error) {
	q = withParam(q, "all", strconv.FormatBool(all))
	var out []*Deployment
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/deployments", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// LatestDeployment returns the job's newest deployment, or nil when it has
// none.
func (j *Jobs) LatestDeployment(jobID string, q *QueryOptions) (*Deployment, *QueryMeta, error) {
	var out *Deployment
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/deployment", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}
