package structs

// Raft payloads the contract in rpc.go reserves a message type for but did
// not define a body for. They are only ever built by the server itself.

// NodeDeregisterRequest is the body of NodeDeregisterRequestType: the node
// and its record are removed; its allocations stay until the scheduler
// marks them lost.
type NodeDeregisterRequest struct {
	NodeID string
	WriteRequest
}

// EvalDeleteRequest is the body of EvalDeleteRequestType: garbage
// collection of terminal evaluations.
type EvalDeleteRequest struct {
	Evals []string
	WriteRequest
}

// NodeUpdateEligibilityRequest is the body of NodeUpdateEligibilityReqType.
// Eligibility is NodeSchedulingEligible or NodeSchedulingIneligible.
type NodeUpdateEligibilityRequest struct {
	NodeID      string
	Eligibility string
	UpdatedAt   int64
	WriteRequest
}
