package nomadlike

import "github.com/orch-dev/orch/nomadlike/structs"

// SubmitPlanForTest lets the external tests place allocations through the
// plan queue and applier, as a worker does.
func SubmitPlanForTest(s *Server, plan *structs.Plan) (*structs.PlanResult, error) {
	return s.submitPlan(plan)
}

// BlockedStatsForTest reads the leader's blocked-evals counters.
func BlockedStatsForTest(s *Server) *BlockedStats {
	return s.blockedEvals.Stats()
}
