package structs

import (
	"errors"
	"time"
)

// RPC method names. Agents (HTTP handlers, clients) call servers only
// through these, in process or over the RPC port, so that forwarding to the
// leader and ACLs have a single place to live.
const (
	JobRegisterRPC    = "Job.Register"
	JobDeregisterRPC  = "Job.Deregister"
	JobGetJobRPC      = "Job.GetJob"
	JobListRPC        = "Job.List"
	JobAllocationsRPC = "Job.Allocations"
	JobEvaluationsRPC = "Job.Evaluations"
	JobSummaryRPC     = "Job.Summary"

	NodeRegisterRPC        = "Node.Register"
	NodeUpdateStatusRPC    = "Node.UpdateStatus" // also the heartbeat
	NodeGetNodeRPC         = "Node.GetNode"
	NodeListRPC            = "Node.List"
	NodeGetClientAllocsRPC = "Node.GetClientAllocs"
	NodeUpdateAllocRPC     = "Node.UpdateAlloc"
	// NodeGetAllocsRPC lists a node's allocations in every namespace for
	// operators (NodeSpecificRequest, NodeAllocsResponse); unlike
	// GetClientAllocs it needs no node secret.
	NodeGetAllocsRPC = "Node.GetAllocs"

	AllocGetAllocRPC  = "Alloc.GetAlloc"
	AllocGetAllocsRPC = "Alloc.GetAllocs"
	AllocListRPC      = "Alloc.List"

	EvalGetEvalRPC     = "Eval.GetEval"
	EvalListRPC        = "Eval.List"
	EvalAllocationsRPC = "Eval.Allocations"

	StatusLeaderRPC = "Status.Leader"
	StatusPeersRPC  = "Status.Peers"
)

// RPCer makes a server RPC. The server implements it in process; the
// client and agents implement it over the RPC port. args and reply are the
// request and response types below.
type RPCer interface {
	RPC(method string, args interface{}, reply interface{}) error
}

// Sentinel errors callers branch on. Over the wire they travel as strings,
// so compare with IsErr helpers rather than errors.Is across processes.
var (
	ErrNoLeader     = errors.New("no cluster leader")
	ErrNotFound     = errors.New("not found")
	ErrPermission   = errors.New("permission denied")
	ErrBadRequest   = errors.New("bad request")
	ErrIndexChanged = errors.New("index changed")
)

// MessageType is the first byte of every Raft log entry: numbers are
// explicit and only ever appended, never reused.
type MessageType uint8

const (
	NodeRegisterRequestType       MessageType = 0
	NodeDeregisterRequestType     MessageType = 1
	NodeUpdateStatusRequestType   MessageType = 2
	JobRegisterRequestType        MessageType = 3
	JobDeregisterRequestType      MessageType = 4
	EvalUpdateRequestType         MessageType = 5
	EvalDeleteRequestType         MessageType = 6
	ApplyPlanResultsRequestType   MessageType = 7
	AllocClientUpdateRequestType  MessageType = 8
	NodeUpdateEligibilityReqType  MessageType = 9
	AllocUpdateDesiredTransitType MessageType = 10 // AllocUpdateDesiredTransitionRequest
	NodeUpdateDrainRequestType    MessageType = 11

	// IgnoreUnknownTypeFlag marks an entry an older server may skip when it
	// does not know the type, rather than fail to apply it.
	IgnoreUnknownTypeFlag MessageType = 128
)

// AllocUpdateDesiredTransitionRequest is the body of
// AllocUpdateDesiredTransitType: transitions to merge into allocations,
// by allocation ID, with the evaluations that act on them, in one entry
// (Nomad's request of the same name). The deployment watcher uses it to
// mark unhealthy allocations for rescheduling.
type AllocUpdateDesiredTransitionRequest struct {
	Allocs map[string]*DesiredTransition
	Evals  []*Evaluation
	WriteRequest
}

// QueryOptions are the options of every read.
type QueryOptions struct {
	Region    string
	Namespace string
	// MinQueryIndex makes the read block until the state index passes it,
	// or MaxQueryTime elapses.
	MinQueryIndex uint64
	MaxQueryTime  time.Duration
	AllowStale    bool
	Prefix        string
	AuthToken     string
	// Forwarded is set by the server that forwarded the request to the
	// leader, so the request is forwarded at most once.
	Forwarded bool
}

// QueryMeta is returned with every read.
type QueryMeta struct {
	Index       uint64
	LastContact time.Duration
	KnownLeader bool
}

// WriteRequest carries the options of every write.
type WriteRequest struct {
	Region    string
	Namespace string
	AuthToken string
	// Forwarded: see QueryOptions.Forwarded.
	Forwarded bool
}

// WriteMeta is returned with every write.
type WriteMeta struct {
	Index uint64
}

// GenericResponse answers writes that return nothing but an index.
type GenericResponse struct {
	WriteMeta
}

type JobRegisterRequest struct {
	Job            *Job
	EnforceIndex   bool
	JobModifyIndex uint64
	PreserveCounts bool
	// Eval is created with the job in the same Raft entry, so a registered
	// job always has its evaluation.
	Eval *Evaluation
	WriteRequest
}

type JobRegisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Warnings        string
	QueryMeta
}

type JobDeregisterRequest struct {
	JobID string
	Purge bool
	// NoShutdownDelay marks every allocation of the job, in the stop's
	// own Raft entry, to skip shutdown_delay when its client stops it.
	NoShutdownDelay bool
	Eval            *Evaluation
	WriteRequest
}

type JobDeregisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	QueryMeta
}

type JobSpecificRequest struct {
	JobID string
	All   bool
	QueryOptions
}

type SingleJobResponse struct {
	Job *Job
	QueryMeta
}

type JobListRequest struct {
	QueryOptions
}

type JobListResponse struct {
	Jobs []*JobListStub
	QueryMeta
}

type JobAllocationsResponse struct {
	Allocations []*AllocListStub
	QueryMeta
}

type JobEvaluationsResponse struct {
	Evaluations []*Evaluation
	QueryMeta
}

type JobSummaryResponse struct {
	JobSummary *JobSummary
	QueryMeta
}

type NodeRegisterRequest struct {
	Node *Node
	WriteRequest
}

type NodeUpdateStatusRequest struct {
	NodeID    string
	SecretID  string
	Status    string
	UpdatedAt int64
	WriteRequest
}

// NodeUpdateResponse answers register and heartbeat: HeartbeatTTL is when
// the node must call again before the servers mark it down.
type NodeUpdateResponse struct {
	HeartbeatTTL    time.Duration
	EvalIDs         []string
	EvalCreateIndex uint64
	NodeModifyIndex uint64
	LeaderRPCAddr   string
	NumNodes        int32
	Servers         []string
	QueryMeta
}

type NodeSpecificRequest struct {
	NodeID   string
	SecretID string
	QueryOptions
}

type SingleNodeResponse struct {
	Node *Node
	QueryMeta
}

type NodeListRequest struct {
	QueryOptions
	// Resources adds each node's resources to its stub (Nomad's
	// ?resources=true).
	Resources bool
}

type NodeListResponse struct {
	Nodes []*NodeListStub
	QueryMeta
}

// NodeClientAllocsResponse maps each allocation of a node to its
// AllocModifyIndex, so a client fetches only what changed.
type NodeClientAllocsResponse struct {
	Allocs map[string]uint64
	QueryMeta
}

// NodeAllocsResponse holds a node's full allocations.
type NodeAllocsResponse struct {
	Allocs []*Allocation
	QueryMeta
}

// AllocUpdateRequest carries client-side allocation updates (client status,
// task states) in a batch.
type AllocUpdateRequest struct {
	Alloc []*Allocation
	// Evals are created for failed allocations in the same entry.
	Evals []*Evaluation
	WriteRequest
}

type AllocSpecificRequest struct {
	AllocID string
	QueryOptions
}

type SingleAllocResponse struct {
	Alloc *Allocation
	QueryMeta
}

type AllocsGetRequest struct {
	AllocIDs []string
	QueryOptions
}

type AllocsGetResponse struct {
	Allocs []*Allocation
	QueryMeta
}

type AllocListRequest struct {
	QueryOptions
}

type AllocListResponse struct {
	Allocations []*AllocListStub
	QueryMeta
}

type EvalSpecificRequest struct {
	EvalID string
	QueryOptions
}

type SingleEvalResponse struct {
	Eval *Evaluation
	QueryMeta
}

type EvalListRequest struct {
	QueryOptions
}

type EvalListResponse struct {
	Evaluations []*Evaluation
	QueryMeta
}

type EvalAllocationsResponse struct {
	Allocations []*AllocListStub
	QueryMeta
}

// EvalUpdateRequest upserts evaluations (workers acking, blocked evals).
type EvalUpdateRequest struct {
	Evals     []*Evaluation
	EvalToken string
	WriteRequest
}

// ApplyPlanResultsRequest is the Raft entry of a committed plan. The job is
// carried once and attached to each allocation by the FSM.
type ApplyPlanResultsRequest struct {
	Job           *Job
	AllocsUpdated []*Allocation
	AllocsStopped []*Allocation
	EvalID        string
	UpdatedEvals  []*Evaluation

	// NodePreemptions are the allocations evicted for AllocsUpdated
	// (DesiredStatus evict, PreemptedByAllocation set), and
	// PreemptionEvals one pending evaluation per job they belong to, so
	// the evicted work is placed again elsewhere or blocks.
	NodePreemptions []*Allocation
	PreemptionEvals []*Evaluation
	// Deployment is upserted and DeploymentUpdates applied before the
	// allocations, so placements count toward the new deployment.
	Deployment        *Deployment
	DeploymentUpdates []*DeploymentStatusUpdate
	WriteRequest
}

type GenericRequest struct {
	QueryOptions
}

type StatusLeaderResponse struct {
	Leader string
}

type StatusPeersResponse struct {
	Peers []string
}
