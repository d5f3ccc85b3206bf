package structs

// RPC methods of periodic and parameterized jobs; kept apart from rpc.go
// with their request types.
const (
	// JobDispatchRPC launches a child of a parameterized job
	// (JobDispatchRequest, JobDispatchResponse).
	JobDispatchRPC = "Job.Dispatch"
	// PeriodicForceRPC launches a child of a periodic job now
	// (PeriodicForceRequest, PeriodicForceResponse).
	PeriodicForceRPC = "Periodic.Force"
)

// JobDispatchRequest dispatches a parameterized job with its own meta and
// payload.
type JobDispatchRequest struct {
	JobID   string
	Payload []byte
	Meta    map[string]string
	WriteRequest
}

// JobDispatchResponse names the dispatched child and its evaluation, as
// Nomad answers.
type JobDispatchResponse struct {
	DispatchedJobID string
	EvalID          string
	EvalCreateIndex uint64
	JobCreateIndex  uint64
	WriteMeta
}

// PeriodicForceRequest launches a periodic job's child now, outside its
// schedule.
type PeriodicForceRequest struct {
	JobID string
	WriteRequest
}

// PeriodicForceResponse names the launched child's evaluation.
type PeriodicForceResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	WriteMeta
}
