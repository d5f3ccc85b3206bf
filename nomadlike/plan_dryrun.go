package nomadlike

import (
	"sync"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// dryRunPlanner is the Planner of Job.Plan: it records what the scheduler
// asks for and commits nothing, answering every plan as fully committed
// so the scheduler finishes in one attempt, as it would on an idle
// cluster. It is not schedtest's Planner, which commits into a test
// state: nothing here may outlive the request.
type dryRunPlanner struct {
	mu      sync.Mutex
	plans   []*structs.Plan
	updates []*structs.Evaluation
	created []*structs.Evaluation
}

var _ scheduler.Planner = (*dryRunPlanner)(nil)

func (p *dryRunPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plans = append(p.plans, plan)
	return &structs.PlanResult{
		NodeUpdate:     plan.NodeUpdate,
		NodeAllocation: plan.NodeAllocation,
		AllocIndex:     plan.SnapshotIndex,
	}, nil, nil
}

func (p *dryRunPlanner) UpdateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.updates = append(p.updates, eval)
	return nil
}

func (p *dryRunPlanner) CreateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.created = append(p.created, eval)
	return nil
}

// lastPlan and lastUpdate are the scheduler's final word, or nil.
func (p *dryRunPlanner) lastPlan() *structs.Plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.plans) == 0 {
		return nil
	}
	return p.plans[len(p.plans)-1]
}

func (p *dryRunPlanner) lastUpdate() *structs.Evaluation {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.updates) == 0 {
		return nil
	}
	return p.updates[len(p.updates)-1]
}

func (p *dryRunPlanner) createdEvals() []*structs.Evaluation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*structs.Evaluation(nil), p.created...)
}
