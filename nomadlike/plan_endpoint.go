package nomadlike

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Plan serves Plan.Submit: the leader's plan queue as the workers of every
// server reach it.
type Plan struct {
	srv *Server
}

// Submit queues a plan for the plan applier and waits for its answer. The
// plan's delivery token must still hold its evaluation: a worker that sat
// so long on an evaluation that the broker redelivered it to another must
// not commit a second placement of the same work.
func (p *Plan) Submit(args *structs.PlanRequest, reply *structs.PlanResponse) error {
	countRPC(structs.PlanSubmitRPC)
	if handled, err := p.srv.forward(structs.PlanSubmitRPC, args, args, reply); handled {
		return err
	}
	plan := args.Plan
	if plan == nil {
		return fmt.Errorf("plan submit: %w: missing plan", structs.ErrBadRequest)
	}
	token, ok := p.srv.evalBroker.Outstanding(plan.EvalID)
	if !ok {
		return fmt.Errorf("plan submit: eval %s: %w", plan.EvalID, ErrNotOutstanding)
	}
	if token != plan.EvalToken {
		return fmt.Errorf("plan submit: eval %s: %w", plan.EvalID, ErrTokenMismatch)
	}
	// The applier may be busy; the broker must not hand the evaluation to
	// another worker while this plan waits.
	if err := p.srv.evalBroker.OutstandingReset(plan.EvalID, plan.EvalToken); err != nil {
		return fmt.Errorf("plan submit: %w", brokerErr(err))
	}
	result, err := p.srv.submitPlan(plan)
	if err != nil {
		return fmt.Errorf("plan submit: %w", brokerErr(err))
	}
	reply.Result = result
	reply.Index = result.AllocIndex
	return nil
}
