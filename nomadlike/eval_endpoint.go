package nomadlike

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Eval serves the Eval.* RPCs.
type Eval struct {
	srv *Server
}

// GetEval returns an evaluation, or a nil Eval when there is none.
func (e *Eval) GetEval(args *structs.EvalSpecificRequest, reply *structs.SingleEvalResponse) error {
	countRPC(structs.EvalGetEvalRPC)
	if handled, err := e.srv.forward(structs.EvalGetEvalRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("EvalID", args.EvalID); err != nil {
		return fmt.Errorf("eval get: %w", err)
	}
	return e.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			eval, err := st.EvalByID(ws, args.EvalID)
			if err != nil {
				return 0, err
			}
			reply.Eval = eval
			if eval != nil {
				return eval.ModifyIndex, nil
			}
			return st.Index(state.TableEvals)
		})
}

// List returns evaluations, filtered by namespace and ID prefix.
func (e *Eval) List(args *structs.EvalListRequest, reply *structs.EvalListResponse) error {
	countRPC(structs.EvalListRPC)
	if handled, err := e.srv.forward(structs.EvalListRPC, args, args, reply); handled {
		return err
	}
	ns := queryNamespace(args.Namespace)
	return e.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			evals, err := st.Evals(ws, ns, args.Prefix)
			if err != nil {
				return 0, err
			}
			reply.Evaluations = evals
			return st.Index(state.TableEvals)
		})
}

// Allocations returns the stubs of the allocations an evaluation placed.
func (e *Eval) Allocations(args *structs.EvalSpecificRequest, reply *structs.EvalAllocationsResponse) error {
	countRPC(structs.EvalAllocationsRPC)
	if handled, err := e.srv.forward(structs.EvalAllocationsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("EvalID", args.EvalID); err != nil {
		return fmt.Errorf("eval allocations: %w", err)
	}
	return e.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			allocs, err := st.AllocsByEval(ws, args.EvalID)
			if err != nil {
				return 0, err
			}
			reply.Allocations = allocStubs(allocs)
			return st.Index(state.TableAllocs)
		})
}
