package state

import "github.com/orch-dev/orch/nomadlike/structs"

// UpdateNodeDrain starts or ends a drain. A drain makes the node
// ineligible; ending it makes the node eligible only when markEligible is
// set, so a finished drain leaves the node empty and out of placement.
func (s *StateStore) UpdateNodeDrain(index uint64, nodeID string, strategy *structs.DrainStrategy, markEligible bool, updatedAt int64) error {
	return s.updateNode(index, nodeID, func(n *structs.Node) {
		n.DrainStrategy = strategy.Copy()
		n.Drain = strategy != nil
		switch {
		case strategy != nil:
			n.SchedulingEligibility = structs.NodeSchedulingIneligible
		case markEligible:
			n.SchedulingEligibility = structs.NodeSchedulingEligible
		}
		n.StatusUpdatedAt = updatedAt
	})
}
