package state

import (
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

var _ scheduler.State = (*StateSnapshot)(nil)

// StateSnapshot is a point-in-time view of the store. It implements
// scheduler.State, so every read made during one evaluation sees the same
// index; Store gives the full read API over the same view.
type StateSnapshot struct {
	store *StateStore
}

// Store returns the snapshot as a store. Writes to it change only the
// snapshot: the plan applier uses that to check a plan against the result
// of the one before it, ahead of its commit.
func (s *StateSnapshot) Store() *StateStore { return s.store }

// Index is the highest Raft index the snapshot contains.
func (s *StateSnapshot) Index() uint64 {
	// Reading the index table of an in-memory snapshot cannot fail: the
	// only errors memdb returns are for unknown tables and indexes.
	idx, _ := s.store.LatestIndex()
	return idx
}

// JobByID returns the job, or nil if there is none.
func (s *StateSnapshot) JobByID(namespace, id string) (*structs.Job, error) {
	return s.store.JobByID(nil, namespace, id)
}

// Nodes returns every node.
func (s *StateSnapshot) Nodes() ([]*structs.Node, error) {
	return s.store.Nodes(nil)
}

// NodeByID returns the node, or nil if there is none.
func (s *StateSnapshot) NodeByID(id string) (*structs.Node, error) {
	return s.store.NodeByID(nil, id)
}

// AllocsByJob returns every allocation of the job, terminal ones included.
func (s *StateSnapshot) AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error) {
	return s.store.AllocsByJob(nil, namespace, jobID)
}

// AllocsByNode returns every allocation on the node, terminal ones included.
func (s *StateSnapshot) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	return s.store.AllocsByNode(nil, nodeID)
}

// EvalByID returns the evaluation, or nil if there is none.
func (s *StateSnapshot) EvalByID(id string) (*structs.Evaluation, error) {
	return s.store.EvalByID(nil, id)
}
