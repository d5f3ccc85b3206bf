package feasible

// ScoreNodeReschedulePenalty names the reschedule penalty in
// NodeScoreMeta.Scores, as Nomad names it.
const ScoreNodeReschedulePenalty = "node-reschedule-penalty"

// ReschedulePenalty scores a node for the replacement of a failed
// allocation: -1 on a node where the allocation's chain already failed,
// and no score at all elsewhere, so the penalty weighs as one more term
// of the node's mean score (Nomad's node-reschedule-penalty scorer). A
// node that failed the allocation may be at fault, so another node is
// preferred, yet the failed one stays feasible when it is the only fit.
func ReschedulePenalty(penalty map[string]bool, nodeID string) (float64, bool) {
	if penalty[nodeID] {
		return -1, true
	}
	return 0, false
}

// SetPenaltyNodes sets the nodes the next Select penalises with
// ReschedulePenalty; nil clears them. The scheduler calls it before each
// placement, from the goroutine that calls Select.
func (s *Stack) SetPenaltyNodes(nodes map[string]bool) { s.penalty = nodes }
