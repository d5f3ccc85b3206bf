package nomadlike

import (
	"fmt"
	"time"

	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Workers run on every server, as in Nomad, so scheduling uses the CPUs
// of the whole cluster. Whether this server leads or not, a worker reaches
// the broker and the plan queue through the Eval.* and Plan.Submit RPCs:
// in process on the leader, forwarded to it elsewhere. One path means a
// leadership change needs nothing from the workers.

// leaderBroker is a WorkerBroker over the leader's Eval.* RPCs.
type leaderBroker struct {
	srv *Server
}

var _ WorkerBroker = (*leaderBroker)(nil)

// Dequeue takes an evaluation from the leader's broker and returns it
// once this server's state has reached the index the leader named, so the
// scheduler never plans on state older than what the leader knew (a plan
// an earlier evaluation of the job committed, say). With no leader it
// reports ErrBrokerDisabled, which the worker backs off from quietly.
func (b *leaderBroker) Dequeue(schedulers []string, timeout time.Duration) (*structs.Evaluation, string, error) {
	req := &structs.EvalDequeueRequest{Schedulers: schedulers, Timeout: timeout}
	var resp structs.EvalDequeueResponse
	if err := b.srv.RPC(structs.EvalDequeueRPC, req, &resp); err != nil {
		if pool.IsErrNoLeader(err) {
			return nil, "", fmt.Errorf("%w: %w", ErrBrokerDisabled, err)
		}
		return nil, "", err
	}
	if resp.Eval == nil {
		return nil, "", nil
	}
	if _, err := b.srv.snapshotMinIndex(resp.WaitIndex); err != nil {
		// Hand it back now rather than after the nack timeout; another
		// server's worker may be further along.
		if nerr := b.Nack(resp.Eval.ID, resp.Token); nerr != nil {
			b.srv.logger.Warn("failed to nack evaluation after state wait", "eval_id", resp.Eval.ID, "error", nerr)
		}
		return nil, "", fmt.Errorf("eval %s: wait for state index %d: %w", resp.Eval.ID, resp.WaitIndex, err)
	}
	return resp.Eval, resp.Token, nil
}

// Ack implements WorkerBroker.
func (b *leaderBroker) Ack(evalID, token string) error {
	var resp structs.GenericResponse
	return b.srv.RPC(structs.EvalAckRPC, &structs.EvalAckRequest{EvalID: evalID, Token: token}, &resp)
}

// Nack implements WorkerBroker.
func (b *leaderBroker) Nack(evalID, token string) error {
	var resp structs.GenericResponse
	return b.srv.RPC(structs.EvalNackRPC, &structs.EvalAckRequest{EvalID: evalID, Token: token}, &resp)
}

// OutstandingReset does nothing: Plan.Submit, Eval.Update and Eval.Create
// check the token and restart the nack timeout on the leader as part of
// the call, which saves a round trip per plan.
func (b *leaderBroker) OutstandingReset(evalID, token string) error { return nil }

// submitPlanRPC is a worker's SubmitPlan: Plan.Submit on the leader.
func (s *Server) submitPlanRPC(plan *structs.Plan) (*structs.PlanResult, error) {
	var resp structs.PlanResponse
	if err := s.RPC(structs.PlanSubmitRPC, &structs.PlanRequest{Plan: plan}, &resp); err != nil {
		return nil, err
	}
	if resp.Result == nil {
		return nil, fmt.Errorf("plan of eval %s: leader answered without a result", plan.EvalID)
	}
	return resp.Result, nil
}

// evalWriteRPC returns a worker's ApplyEvals or CreateEvals: method
// (Eval.Update or Eval.Create) on the leader.
func (s *Server) evalWriteRPC(method string) func(*structs.EvalUpdateRequest) (uint64, error) {
	return func(req *structs.EvalUpdateRequest) (uint64, error) {
		var resp structs.GenericResponse
		if err := s.RPC(method, req, &resp); err != nil {
			return 0, err
		}
		return resp.Index, nil
	}
}
