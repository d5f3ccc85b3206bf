package scheduler

import (
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// State is the read-only view of cluster state the scheduler plans
// against. The server hands it a consistent snapshot, so every call made
// during one evaluation sees the same index.
type State interface {
	// Index is the state index the snapshot was taken at.
	Index() uint64
	JobByID(namespace, id string) (*structs.Job, error)
	// Nodes returns every node, in any status; callers filter.
	Nodes() ([]*structs.Node, error)
	NodeByID(id string) (*structs.Node, error)
	// AllocsByJob returns every allocation of a job, terminal ones included.
	AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error)
	// AllocsByNode returns every allocation on a node, terminal ones included.
	AllocsByNode(nodeID string) ([]*structs.Allocation, error)
	EvalByID(id string) (*structs.Evaluation, error)
	// SchedulerConfig is the cluster's scheduler configuration (algorithm,
	// preemption per job type); the defaults when none is stored. Never
	// nil without an error.
	SchedulerConfig() (*structs.SchedulerConfiguration, error)
}

// Planner is how a scheduler acts: it is the worker that runs the
// scheduler, not the scheduler, that talks to the leader.
type Planner interface {
	// SubmitPlan sends a plan to the plan applier. The result may commit
	// only part of the plan; when it does, the returned State is a fresh
	// snapshot at least as new as result.RefreshIndex to plan again from.
	SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error)
	// UpdateEval records the outcome of the evaluation being processed.
	UpdateEval(eval *structs.Evaluation) error
	// CreateEval creates a follow-up evaluation (blocked, or delayed).
	CreateEval(eval *structs.Evaluation) error
}

// Scheduler processes one evaluation at a time.
type Scheduler interface {
	Process(eval *structs.Evaluation) error
}

// Config is what a scheduler needs for one evaluation. Now is injected so
// that runs are replayable; nil means time.Now.
type Config struct {
	Logger  hclog.Logger
	State   State
	Planner Planner
	Now     func() time.Time
}

// Factory builds the scheduler for an evaluation type ("service", "batch",
// ...). NewScheduler is the production factory; tests of the server may
// pass their own.
type Factory func(evalType string, cfg Config) (Scheduler, error)
