package structs

import "time"

// Deployment RPCs, with Nomad's names and request shapes.
const (
	DeploymentListRPC           = "Deployment.List"
	DeploymentGetDeploymentRPC  = "Deployment.GetDeployment"
	DeploymentAllocationsRPC    = "Deployment.Allocations"
	DeploymentPromoteRPC        = "Deployment.Promote"
	DeploymentFailRPC           = "Deployment.Fail"
	DeploymentPauseRPC          = "Deployment.Pause"
	DeploymentSetAllocHealthRPC = "Deployment.SetAllocHealth"

	JobDeploymentsRPC      = "Job.Deployments"
	JobLatestDeploymentRPC = "Job.LatestDeployment"
)

// Raft message types of deployments: 45 to 49 are reserved for them.
// Deployments are created and updated by the plan applier inside
// ApplyPlanResultsRequestType; these carry the changes made outside a
// plan. None may be skipped by an older server: a deployment it did not
// see fail would be advanced differently by each server.
const (
	// DeploymentStatusUpdateRequestType: DeploymentStatusUpdateRequest.
	DeploymentStatusUpdateRequestType MessageType = 45
	// DeploymentPromoteRequestType: ApplyDeploymentPromoteRequest.
	DeploymentPromoteRequestType MessageType = 46
	// DeploymentAllocHealthRequestType: ApplyDeploymentAllocHealthRequest.
	DeploymentAllocHealthRequestType MessageType = 47
	// DeploymentDeleteRequestType: DeploymentDeleteRequest (garbage
	// collection of terminal deployments).
	DeploymentDeleteRequestType MessageType = 48
	// 49 is kept for the deployment watcher.
)

// DeploymentStatusUpdateRequest is the body of
// DeploymentStatusUpdateRequestType: a status change with, in the same
// entry, an optional job to register (auto-revert registers the newest
// stable version again) and an optional evaluation.
type DeploymentStatusUpdateRequest struct {
	DeploymentUpdate *DeploymentStatusUpdate
	Job              *Job
	Eval             *Evaluation
	WriteRequest
}

// DeploymentPromoteRequest asks to promote the canaries of every group
// (All) or of the named ones.
type DeploymentPromoteRequest struct {
	DeploymentID string
	All          bool
	Groups       []string
	WriteRequest
}

// ApplyDeploymentPromoteRequest is the body of DeploymentPromoteRequestType.
type ApplyDeploymentPromoteRequest struct {
	DeploymentPromoteRequest
	// Now is when the promotion was decided: the groups' progress
	// deadlines restart from it. Set by the leader so every server applies
	// the same time.
	Now  time.Time
	Eval *Evaluation
}

// DeploymentAllocHealthRequest marks allocations of a deployment healthy
// or unhealthy by hand.
type DeploymentAllocHealthRequest struct {
	DeploymentID           string
	HealthyAllocationIDs   []string
	UnhealthyAllocationIDs []string
	WriteRequest
}

// ApplyDeploymentAllocHealthRequest is the body of
// DeploymentAllocHealthRequestType: the health marks, their Timestamp, an
// optional status update (an unhealthy mark fails the deployment), an
// optional job to register (auto-revert) and the evaluation.
type ApplyDeploymentAllocHealthRequest struct {
	DeploymentAllocHealthRequest
	Timestamp        time.Time
	DeploymentUpdate *DeploymentStatusUpdate
	Job              *Job
	Eval             *Evaluation
}

// DeploymentPauseRequest pauses (Pause) or resumes a deployment.
type DeploymentPauseRequest struct {
	DeploymentID string
	Pause        bool
	WriteRequest
}

// DeploymentFailRequest fails a deployment by hand.
type DeploymentFailRequest struct {
	DeploymentID string
	WriteRequest
}

// DeploymentDeleteRequest is the body of DeploymentDeleteRequestType.
type DeploymentDeleteRequest struct {
	Deployments []string
	WriteRequest
}

// DeploymentSpecificRequest names one deployment.
type DeploymentSpecificRequest struct {
	DeploymentID string
	QueryOptions
}

// DeploymentListRequest lists deployments (QueryOptions.Prefix filters by
// ID).
type DeploymentListRequest struct {
	QueryOptions
}

// DeploymentListResponse holds deployments, newest first.
type DeploymentListResponse struct {
	Deployments []*Deployment
	QueryMeta
}

// SingleDeploymentResponse holds one deployment, or nil.
type SingleDeploymentResponse struct {
	Deployment *Deployment
	QueryMeta
}

// DeploymentUpdateResponse answers every deployment write.
type DeploymentUpdateResponse struct {
	EvalID                string
	EvalCreateIndex       uint64
	DeploymentModifyIndex uint64
	// RevertedJobVersion is the version the job went back to, when the
	// change failed the deployment and auto_revert applied.
	RevertedJobVersion *uint64
	WriteMeta
}
