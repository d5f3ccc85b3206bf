package nomadlike

import (
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

const (
	// DefaultFailedEvalUnblockInterval is how often the leader re-enqueues
	// evaluations blocked by plan conflicts rather than by capacity
	// (Nomad's one minute).
	DefaultFailedEvalUnblockInterval = time.Minute
	// blockedPruneAge is how long an unblock mark is kept: far longer
	// than any scheduler holds a snapshot.
	blockedPruneAge = 15 * time.Minute
)

// unblockNodes tells the blocked evals that allocations stopped, at state
// index, on each of the nodes, by their computed classes. A node that is
// gone frees nothing anyone could use.
func (s *Server) unblockNodes(nodeIDs map[string]struct{}, index uint64) {
	if len(nodeIDs) == 0 || !s.blockedEvals.Enabled() {
		return
	}
	st := s.fsm.State()
	classes := make(map[string]bool, len(nodeIDs))
	for id := range nodeIDs {
		node, err := st.NodeByID(nil, id)
		if err != nil {
			s.logger.Warn("cannot read node to unblock evals", "node_id", id, "error", err)
			continue
		}
		if node == nil || classes[node.ComputedClass] {
			continue
		}
		classes[node.ComputedClass] = true
		s.blockedEvals.UnblockNode(node, index)
	}
}

// periodicBlockedEvals runs, while this server leads, the blocked evals'
// periodic duties: re-enqueue the evaluations blocked by plan conflicts,
// which no capacity change may ever wake, and drop old unblock marks.
func (s *Server) periodicBlockedEvals(stopCh chan struct{}) {
	t := time.NewTicker(s.config.FailedEvalUnblockInterval)
	defer t.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-t.C:
		}
		s.blockedEvals.UnblockFailed()
		s.blockedEvals.Prune(time.Now().Add(-blockedPruneAge))
	}
}

// streamDefaults fills the blocked-evals and event stream settings.
func (c *Config) streamDefaults() {
	if c.FailedEvalUnblockInterval <= 0 {
		c.FailedEvalUnblockInterval = DefaultFailedEvalUnblockInterval
	}
	if c.EventBufferSize == 0 {
		c.EventBufferSize = DefaultEventBufferSize
	}
}

// seedUnblockMarks tells the blocked evals, per computed class, the last
// index at which a ready node of it changed or had an allocation stop:
// the capacity changes a previous leader may have acted on in a broker
// that is gone.
func (s *Server) seedUnblockMarks() error {
	st := s.fsm.State()
	nodes, err := st.Nodes(nil)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Status != structs.NodeStatusReady {
			continue
		}
		index := n.ModifyIndex
		allocs, err := st.AllocsByNode(nil, n.ID)
		if err != nil {
			return err
		}
		for _, a := range allocs {
			if a.TerminalStatus() {
				index = max(index, a.ModifyIndex)
			}
		}
		s.blockedEvals.MarkCapacity(n.ComputedClass, index)
	}
	return nil
}
