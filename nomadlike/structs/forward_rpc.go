package structs

import "time"

// RPCs that scheduling workers on every server make to the leader's eval
// broker and plan queue. Each runs only on the leader; a follower forwards
// it.
const (
	// EvalDequeueRPC hands out an evaluation (EvalDequeueRequest,
	// EvalDequeueResponse).
	EvalDequeueRPC = "Eval.Dequeue"
	// EvalAckRPC and EvalNackRPC settle a delivery (EvalAckRequest,
	// GenericResponse).
	EvalAckRPC  = "Eval.Ack"
	EvalNackRPC = "Eval.Nack"
	// EvalUpdateRPC and EvalCreateRPC write evaluations under a
	// delivery's token (EvalUpdateRequest, GenericResponse).
	EvalUpdateRPC = "Eval.Update"
	EvalCreateRPC = "Eval.Create"
	// PlanSubmitRPC queues a plan for the plan applier and waits for its
	// answer (PlanRequest, PlanResponse).
	PlanSubmitRPC = "Plan.Submit"
)

// RPCInfo is what the server's forwarding needs to know of a request. Every
// request embeds QueryOptions (a read) or WriteRequest (a write), whose
// pointer methods make the request an RPCInfo.
type RPCInfo interface {
	// IsRead reports whether the request only reads.
	IsRead() bool
	// AllowStaleRead reports whether any server may answer a read from
	// its own state instead of the leader.
	AllowStaleRead() bool
	// IsForwarded reports whether a server already forwarded the request.
	IsForwarded() bool
	// SetForwarded marks the request as forwarded.
	SetForwarded()
}

var (
	_ RPCInfo = (*QueryOptions)(nil)
	_ RPCInfo = (*WriteRequest)(nil)
)

func (q *QueryOptions) IsRead() bool         { return true }
func (q *QueryOptions) AllowStaleRead() bool { return q.AllowStale }
func (q *QueryOptions) IsForwarded() bool    { return q.Forwarded }
func (q *QueryOptions) SetForwarded()        { q.Forwarded = true }

func (w *WriteRequest) IsRead() bool         { return false }
func (w *WriteRequest) AllowStaleRead() bool { return false }
func (w *WriteRequest) IsForwarded() bool    { return w.Forwarded }
func (w *WriteRequest) SetForwarded()        { w.Forwarded = true }

// EvalDequeueRequest asks the leader's broker for an evaluation of one of
// Schedulers, waiting up to Timeout for one to become ready. It is a write:
// it changes the broker.
type EvalDequeueRequest struct {
	Schedulers []string
	Timeout    time.Duration
	WriteRequest
}

// EvalDequeueResponse carries the evaluation (nil when Timeout passed),
// the delivery token, and WaitIndex: the worker must not schedule on state
// older than that index, which covers the evaluation and every write of
// the leader before it was handed out (earlier plans of the same job).
type EvalDequeueResponse struct {
	Eval      *Evaluation
	Token     string
	WaitIndex uint64
	QueryMeta
}

// EvalAckRequest settles the delivery Token of evaluation EvalID.
type EvalAckRequest struct {
	EvalID string
	Token  string
	WriteRequest
}

// PlanRequest submits a plan made for the delivery Plan.EvalToken.
type PlanRequest struct {
	Plan *Plan
	WriteRequest
}

// PlanResponse is what the plan applier committed of the plan.
type PlanResponse struct {
	Result *PlanResult
	WriteMeta
}
