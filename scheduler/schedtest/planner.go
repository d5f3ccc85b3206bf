package schedtest

import (
	"maps"
	"slices"
	"sync"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// Planner records what a scheduler asks for and commits plans into State,
// as the leader's plan applier would, without re-checking fit.
type Planner struct {
	State *State

	// RejectNode, when set, makes the planner refuse the placements of a
	// plan on the nodes it returns true for, so tests can exercise partial
	// commits. Stops are always committed, as the real applier does.
	RejectNode func(plan *structs.Plan, nodeID string) bool

	mu      sync.Mutex
	plans   []*structs.Plan
	updates []*structs.Evaluation
	creates []*structs.Evaluation
}

var _ scheduler.Planner = (*Planner)(nil)

// NewPlanner commits into state.
func NewPlanner(state *State) *Planner {
	return &Planner{State: state}
}

func (p *Planner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	p.mu.Lock()
	p.plans = append(p.plans, plan)
	reject := p.RejectNode
	p.mu.Unlock()

	result := &structs.PlanResult{
		NodeUpdate:      plan.NodeUpdate,
		NodeAllocation:  make(map[string][]*structs.Allocation),
		NodePreemptions: make(map[string][]*structs.Allocation),
	}
	for nodeID, allocs := range plan.NodeAllocation {
		if reject != nil && reject(plan, nodeID) {
			continue
		}
		result.NodeAllocation[nodeID] = allocs
		// Evictions stand or fall with the placements they make room for.
		if evicted := plan.NodePreemptions[nodeID]; len(evicted) > 0 {
			result.NodePreemptions[nodeID] = evicted
		}
	}
	p.State.commit(plan, result)
	result.AllocIndex = p.State.Index()
	if full, _, _ := result.FullCommit(plan); !full {
		result.RefreshIndex = result.AllocIndex
		return result, p.State.Snapshot(), nil
	}
	return result, nil, nil
}

func (p *Planner) UpdateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	p.updates = append(p.updates, eval)
	p.mu.Unlock()
	p.State.UpsertEvals(eval)
	return nil
}

func (p *Planner) CreateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	p.creates = append(p.creates, eval)
	p.mu.Unlock()
	p.State.UpsertEvals(eval)
	return nil
}

// Plans returns the submitted plans, oldest first.
func (p *Planner) Plans() []*structs.Plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*structs.Plan(nil), p.plans...)
}

// Updates returns the evaluations passed to UpdateEval, oldest first.
func (p *Planner) Updates() []*structs.Evaluation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*structs.Evaluation(nil), p.updates...)
}

// Created returns the evaluations passed to CreateEval, oldest first.
func (p *Planner) Created() []*structs.Evaluation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*structs.Evaluation(nil), p.creates...)
}

// commit applies the committed part of plan: stops and evictions keep the
// stored allocation and take the desired status, description, client
// status, next-allocation and preempted-by links of the stop; placements
// and updates are stored with the plan's job attached where they carry
// none.
func (s *State) commit(plan *structs.Plan, result *structs.PlanResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	var changed []*structs.Allocation
	stopLists := slices.Collect(maps.Values(result.NodeUpdate))
	stopLists = append(stopLists, slices.Collect(maps.Values(result.NodePreemptions))...)
	for _, stops := range stopLists {
		for _, stop := range stops {
			old, ok := s.allocs[stop.ID]
			if !ok {
				continue
			}
			a := *old
			a.DesiredStatus = stop.DesiredStatus
			a.DesiredDescription = stop.DesiredDescription
			a.ClientStatus = stop.ClientStatus
			a.NextAllocation = stop.NextAllocation
			a.PreemptedByAllocation = stop.PreemptedByAllocation
			a.AllocModifyIndex = s.index
			changed = append(changed, &a)
		}
	}
	for _, allocs := range result.NodeAllocation {
		for _, alloc := range allocs {
			a := *alloc
			if a.Job == nil {
				a.Job = plan.Job
			}
			a.AllocModifyIndex = s.index
			changed = append(changed, &a)
		}
	}
	s.upsertAllocsLocked(changed)
}
