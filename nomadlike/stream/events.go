package stream

import "github.com/orch-dev/orch/nomadlike/structs"

// Topic is what an event is about; the names are Nomad's.
type Topic string

const (
	TopicJob        Topic = "Job"
	TopicEvaluation Topic = "Evaluation"
	TopicAllocation Topic = "Allocation"
	TopicNode       Topic = "Node"
	// TopicAll matches every topic in a SubscribeRequest.
	TopicAll Topic = "*"
)

// Event types, named after the Raft entry that caused the change, as
// Nomad names them: every event of one entry has the same type (a job
// registration's evaluation is a "JobRegistered" Evaluation event).
const (
	TypeJobRegistered      = "JobRegistered"
	TypeJobDeregistered    = "JobDeregistered"
	TypeEvalUpdated        = "EvaluationUpdated"
	TypeAllocationUpdated  = "AllocationUpdated"
	TypePlanResult         = "PlanResult"
	TypeNodeRegistration   = "NodeRegistration"
	TypeNodeDeregistration = "NodeDeregistration"
	TypeNodeEvent          = "NodeEvent"
	TypeNodeDrain          = "NodeDrain"

	TypeAllocationUpdateDesiredStatus = "AllocationUpdateDesiredStatus"
)

// Event is one changed object, in Nomad's JSON shape.
type Event struct {
	Topic Topic
	Type  string
	// Key is the object's ID; FilterKeys are other IDs a subscriber may
	// select it by (the job ID of an evaluation or allocation).
	Key        string
	Namespace  string
	FilterKeys []string
	Index      uint64
	// Payload is a *JobEvent, *EvalEvent, *AllocEvent or *NodeEvent, so
	// the JSON reads {"Job": {...}} and so on.
	Payload interface{}
}

// Events is every event of one Raft index, the unit the stream sends.
type Events struct {
	Index  uint64
	Events []Event
}

// JobEvent is the payload of a Job event. Deleted is set when a purge
// removed the job; Job is then the job as it last was.
type JobEvent struct {
	Job     *structs.Job
	Deleted bool `json:",omitempty"`
}

// EvalEvent is the payload of an Evaluation event. The evaluation carries
// FailedTGAllocs, so a reader can tell why placements failed.
type EvalEvent struct {
	Evaluation *structs.Evaluation
}

// AllocEvent is the payload of an Allocation event. The allocation's job
// is left out, as Nomad does, to keep events small; Job events carry it.
type AllocEvent struct {
	Allocation *structs.Allocation
}

// NodeEvent is the payload of a Node event. The node's secret is never
// serialised.
type NodeEvent struct {
	Node *structs.Node
}

// JobChanged is the event of a stored job.
func JobChanged(typ string, index uint64, job *structs.Job, deleted bool) Event {
	return Event{
		Topic: TopicJob, Type: typ, Key: job.ID, Namespace: job.Namespace, Index: index,
		Payload: &JobEvent{Job: job, Deleted: deleted},
	}
}

// EvalChanged is the event of a stored evaluation.
func EvalChanged(typ string, index uint64, eval *structs.Evaluation) Event {
	return Event{
		Topic: TopicEvaluation, Type: typ, Key: eval.ID, Namespace: eval.Namespace,
		FilterKeys: []string{eval.JobID}, Index: index,
		Payload: &EvalEvent{Evaluation: eval},
	}
}

// AllocChanged is the event of a stored allocation; it copies the
// allocation without its job.
func AllocChanged(typ string, index uint64, alloc *structs.Allocation) Event {
	a := *alloc
	a.Job = nil
	return Event{
		Topic: TopicAllocation, Type: typ, Key: a.ID, Namespace: a.Namespace,
		FilterKeys: []string{a.JobID}, Index: index,
		Payload: &AllocEvent{Allocation: &a},
	}
}

// NodeChanged is the event of a stored (or, on deregistration, the last)
// node.
func NodeChanged(typ string, index uint64, node *structs.Node) Event {
	return Event{
		Topic: TopicNode, Type: typ, Key: node.ID, Index: index,
		Payload: &NodeEvent{Node: node},
	}
}
