package schedtest

import (
	"cmp"
	"maps"
	"slices"
	"sync"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

type jobKey struct{ namespace, id string }

// State is an in-memory cluster state. Objects stored in it are never
// changed in place, so a Snapshot can share them with the live State.
type State struct {
	mu     sync.RWMutex
	index  uint64
	jobs   map[jobKey]*structs.Job
	nodes  map[string]*structs.Node
	allocs map[string]*structs.Allocation
	evals  map[string]*structs.Evaluation
	// byNode indexes allocation IDs by node so AllocsByNode, which the
	// scheduler calls for every node it looks at, is not a full scan. Its
	// slices are shared with snapshots and so only ever replaced, never
	// appended to in place.
	byNode map[string][]string
	// sortedNodes caches Nodes; nil after any node change.
	sortedNodes []*structs.Node
	// schedConfig is nil until SetSchedulerConfig: the defaults.
	schedConfig *structs.SchedulerConfiguration
}

var _ scheduler.State = (*State)(nil)

// NewState returns an empty state at index 1.
func NewState() *State {
	return &State{
		index:  1,
		jobs:   make(map[jobKey]*structs.Job),
		nodes:  make(map[string]*structs.Node),
		allocs: make(map[string]*structs.Allocation),
		evals:  make(map[string]*structs.Evaluation),
		byNode: make(map[string][]string),
	}
}

// Snapshot returns a copy that later changes to s do not affect, as the
// server's snapshot would be.
func (s *State) Snapshot() *State {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &State{
		index:  s.index,
		jobs:   maps.Clone(s.jobs),
		nodes:  maps.Clone(s.nodes),
		allocs: maps.Clone(s.allocs),
		evals:  maps.Clone(s.evals),
		byNode: maps.Clone(s.byNode),

		schedConfig: s.schedConfig,
	}
}

func (s *State) Index() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.index
}

// UpsertJob stores job; the caller must not change it afterwards.
func (s *State) UpsertJob(job *structs.Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	s.jobs[jobKey{job.Namespace, job.ID}] = job
}

// DeleteJob removes a job, as a purge does.
func (s *State) DeleteJob(namespace, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	delete(s.jobs, jobKey{namespace, id})
}

// UpsertNode stores node, computing its class as the server does at
// registration; the caller must not change it afterwards.
func (s *State) UpsertNode(nodes ...*structs.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	s.sortedNodes = nil
	for _, n := range nodes {
		n.ComputeClass()
		s.nodes[n.ID] = n
	}
}

// DeleteNode removes a node, as garbage collection of a dead node does.
func (s *State) DeleteNode(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	s.sortedNodes = nil
	delete(s.nodes, id)
}

// UpsertAllocs stores allocations; the caller must not change them
// afterwards.
func (s *State) UpsertAllocs(allocs ...*structs.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	s.upsertAllocsLocked(allocs)
}

func (s *State) upsertAllocsLocked(allocs []*structs.Allocation) {
	for _, a := range allocs {
		if old, ok := s.allocs[a.ID]; ok {
			a.CreateIndex = old.CreateIndex
			if old.NodeID != a.NodeID {
				s.byNode[old.NodeID] = slices.DeleteFunc(slices.Clone(s.byNode[old.NodeID]), func(id string) bool { return id == a.ID })
				s.byNode[a.NodeID] = append(slices.Clip(s.byNode[a.NodeID]), a.ID)
			}
		} else {
			a.CreateIndex = s.index
			s.byNode[a.NodeID] = append(slices.Clip(s.byNode[a.NodeID]), a.ID)
		}
		a.ModifyIndex = s.index
		s.allocs[a.ID] = a
	}
}

// UpsertEvals stores evaluations.
func (s *State) UpsertEvals(evals ...*structs.Evaluation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	for _, e := range evals {
		s.evals[e.ID] = e
	}
}

func (s *State) JobByID(namespace, id string) (*structs.Job, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.jobs[jobKey{namespace, id}], nil
}

// Nodes returns every node ordered by ID, as the server's store does, so
// that the scheduler's seeded shuffle is replayable.
func (s *State) Nodes() ([]*structs.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sortedNodes == nil {
		s.sortedNodes = slices.Collect(maps.Values(s.nodes))
		slices.SortFunc(s.sortedNodes, func(a, b *structs.Node) int { return cmp.Compare(a.ID, b.ID) })
	}
	return slices.Clone(s.sortedNodes), nil
}

func (s *State) NodeByID(id string) (*structs.Node, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nodes[id], nil
}

func (s *State) AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error) {
	return s.allocsWhere(func(a *structs.Allocation) bool {
		return a.Namespace == namespace && a.JobID == jobID
	}), nil
}

func (s *State) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.byNode[nodeID]
	if len(ids) == 0 {
		return nil, nil
	}
	out := make([]*structs.Allocation, len(ids))
	for i, id := range ids {
		out[i] = s.allocs[id]
	}
	return out, nil
}

// Allocs returns every allocation ordered by ID.
func (s *State) Allocs() []*structs.Allocation {
	return s.allocsWhere(func(*structs.Allocation) bool { return true })
}

// AllocByID returns one allocation or nil.
func (s *State) AllocByID(id string) *structs.Allocation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.allocs[id]
}

func (s *State) allocsWhere(keep func(*structs.Allocation) bool) []*structs.Allocation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*structs.Allocation
	for _, a := range s.allocs {
		if keep(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *structs.Allocation) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (s *State) EvalByID(id string) (*structs.Evaluation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.evals[id], nil
}

// SetSchedulerConfig stores the scheduler configuration the schedulers
// read; the caller must not change cfg afterwards.
func (s *State) SetSchedulerConfig(cfg *structs.SchedulerConfiguration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	s.schedConfig = cfg
}

// SchedulerConfig returns the configuration set, or the defaults.
func (s *State) SchedulerConfig() (*structs.SchedulerConfiguration, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.schedConfig == nil {
		return structs.DefaultSchedulerConfig(), nil
	}
	return s.schedConfig, nil
}
