package nomadlike

import (
	"errors"
	"fmt"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// The Eval.* RPCs below are the leader's eval broker as the scheduling
// workers of every server see it. They always run on the leader: a
// follower forwards them, so a worker anywhere takes evaluations from the
// one broker and writes its results under a delivery token the leader
// still honours.

const (
	// maxDequeueWait caps how long one Eval.Dequeue holds a connection, so
	// a worker whose server is shutting down or losing its leader comes
	// back to look.
	maxDequeueWait = 10 * time.Second
	// defaultDequeueWait is used when the request names no timeout.
	defaultDequeueWait = time.Second
)

// Dequeue hands out the next ready evaluation of the requested scheduler
// types, waiting up to the request's timeout; a nil Eval means none became
// ready. WaitIndex tells the worker how far its own state must have caught
// up before it schedules: everything this leader had applied when it
// handed the evaluation out, which includes the evaluation itself and the
// plans earlier evaluations of the same job committed.
func (e *Eval) Dequeue(args *structs.EvalDequeueRequest, reply *structs.EvalDequeueResponse) error {
	countRPC(structs.EvalDequeueRPC)
	if handled, err := e.srv.forward(structs.EvalDequeueRPC, args, args, reply); handled {
		return err
	}
	if len(args.Schedulers) == 0 {
		return fmt.Errorf("eval dequeue: %w: Schedulers is empty: name at least one scheduler type such as %q",
			structs.ErrBadRequest, structs.JobTypeService)
	}
	wait := args.Timeout
	if wait <= 0 {
		wait = defaultDequeueWait
	}
	wait = min(wait, maxDequeueWait)
	eval, token, err := e.srv.evalBroker.Dequeue(args.Schedulers, wait)
	if err != nil {
		return fmt.Errorf("eval dequeue: %w", brokerErr(err))
	}
	if eval == nil {
		return nil
	}
	index, err := e.srv.fsm.State().LatestIndex()
	if err != nil {
		_ = e.srv.evalBroker.Nack(eval.ID, token)
		return fmt.Errorf("eval dequeue: read state index: %w", err)
	}
	reply.Eval, reply.Token = eval, token
	reply.WaitIndex = max(index, eval.ModifyIndex)
	e.srv.setQueryMeta(&reply.QueryMeta)
	reply.Index = reply.WaitIndex
	return nil
}

// Ack completes a delivery.
func (e *Eval) Ack(args *structs.EvalAckRequest, reply *structs.GenericResponse) error {
	countRPC(structs.EvalAckRPC)
	if handled, err := e.srv.forward(structs.EvalAckRPC, args, args, reply); handled {
		return err
	}
	if err := e.srv.evalBroker.Ack(args.EvalID, args.Token); err != nil {
		return fmt.Errorf("eval ack: %w", brokerErr(err))
	}
	return nil
}

// Nack hands a delivery back unfinished, for a later retry.
func (e *Eval) Nack(args *structs.EvalAckRequest, reply *structs.GenericResponse) error {
	countRPC(structs.EvalNackRPC)
	if handled, err := e.srv.forward(structs.EvalNackRPC, args, args, reply); handled {
		return err
	}
	if err := e.srv.evalBroker.Nack(args.EvalID, args.Token); err != nil {
		return fmt.Errorf("eval nack: %w", brokerErr(err))
	}
	return nil
}

// Update writes a worker's outcome for the evaluation it holds. The
// delivery token must still be the evaluation's: a worker whose delivery
// timed out and went to another worker must not overwrite that worker's
// result.
func (e *Eval) Update(args *structs.EvalUpdateRequest, reply *structs.GenericResponse) error {
	countRPC(structs.EvalUpdateRPC)
	if handled, err := e.srv.forward(structs.EvalUpdateRPC, args, args, reply); handled {
		return err
	}
	if len(args.Evals) != 1 {
		return fmt.Errorf("eval update: %w: %d evaluations: send exactly one, the one the token was issued for",
			structs.ErrBadRequest, len(args.Evals))
	}
	eval := args.Evals[0]
	if err := e.srv.evalBroker.OutstandingReset(eval.ID, args.EvalToken); err != nil {
		return fmt.Errorf("eval update: %w", brokerErr(err))
	}
	index, _, err := e.srv.raftApply(structs.EvalUpdateRequestType, args)
	if err != nil {
		return fmt.Errorf("eval update %s: %w", eval.ID, err)
	}
	reply.Index = index
	return nil
}

// Create writes evaluations a worker's scheduler made (blocked and
// follow-up evaluations). Each names the evaluation it follows in
// PreviousEval, whose delivery the token must still hold, and must be new.
func (e *Eval) Create(args *structs.EvalUpdateRequest, reply *structs.GenericResponse) error {
	countRPC(structs.EvalCreateRPC)
	if handled, err := e.srv.forward(structs.EvalCreateRPC, args, args, reply); handled {
		return err
	}
	if len(args.Evals) == 0 {
		return fmt.Errorf("eval create: %w: no evaluations", structs.ErrBadRequest)
	}
	st := e.srv.fsm.State()
	for i, eval := range args.Evals {
		if eval == nil || eval.ID == "" || eval.PreviousEval == "" {
			return fmt.Errorf("eval create: %w: Evals[%d]: ID and PreviousEval (the evaluation holding the token) are required",
				structs.ErrBadRequest, i)
		}
		if err := e.srv.evalBroker.OutstandingReset(eval.PreviousEval, args.EvalToken); err != nil {
			return fmt.Errorf("eval create: %w", brokerErr(err))
		}
		existing, err := st.EvalByID(nil, eval.ID)
		if err != nil {
			return fmt.Errorf("eval create: %w", err)
		}
		if existing != nil {
			return fmt.Errorf("eval create: %w: evaluation %s already exists", structs.ErrBadRequest, eval.ID)
		}
	}
	index, _, err := e.srv.raftApply(structs.EvalUpdateRequestType, args)
	if err != nil {
		return fmt.Errorf("eval create: %w", err)
	}
	reply.Index = index
	return nil
}

// brokerErr marks a disabled broker (this server stopped leading while the
// call ran) as ErrNoLeader, the sentinel that survives the trip back to a
// remote worker, so it backs off and asks again.
func brokerErr(err error) error {
	if errors.Is(err, ErrBrokerDisabled) || errors.Is(err, ErrPlanQueueDisabled) {
		return fmt.Errorf("%w: %w", structs.ErrNoLeader, err)
	}
	return err
}
