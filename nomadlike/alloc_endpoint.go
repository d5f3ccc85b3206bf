package nomadlike

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Alloc serves the Alloc.* RPCs.
type Alloc struct {
	srv *Server
}

// GetAlloc returns an allocation with its job, or a nil Alloc when there is
// none.
func (a *Alloc) GetAlloc(args *structs.AllocSpecificRequest, reply *structs.SingleAllocResponse) error {
	countRPC(structs.AllocGetAllocRPC)
	if handled, err := a.srv.forward(structs.AllocGetAllocRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("AllocID", args.AllocID); err != nil {
		return fmt.Errorf("alloc get: %w", err)
	}
	return a.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			alloc, err := st.AllocByID(ws, args.AllocID)
			if err != nil {
				return 0, err
			}
			reply.Alloc = alloc
			if alloc != nil {
				return alloc.ModifyIndex, nil
			}
			return st.Index(state.TableAllocs)
		})
}

// GetAllocs returns the allocations asked for, with their jobs, skipping
// IDs that no longer exist. Clients call it, with MinQueryIndex set to the
// index Node.GetClientAllocs gave them, for the allocations that changed.
func (a *Alloc) GetAllocs(args *structs.AllocsGetRequest, reply *structs.AllocsGetResponse) error {
	countRPC(structs.AllocGetAllocsRPC)
	if handled, err := a.srv.forward(structs.AllocGetAllocsRPC, args, args, reply); handled {
		return err
	}
	return a.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			allocs := make([]*structs.Allocation, 0, len(args.AllocIDs))
			for _, id := range args.AllocIDs {
				alloc, err := st.AllocByID(ws, id)
				if err != nil {
					return 0, err
				}
				if alloc != nil {
					allocs = append(allocs, alloc)
				}
			}
			reply.Allocs = allocs
			return st.Index(state.TableAllocs)
		})
}

// List returns allocation stubs, filtered by namespace and ID prefix.
func (a *Alloc) List(args *structs.AllocListRequest, reply *structs.AllocListResponse) error {
	countRPC(structs.AllocListRPC)
	if handled, err := a.srv.forward(structs.AllocListRPC, args, args, reply); handled {
		return err
	}
	ns := queryNamespace(args.Namespace)
	return a.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			allocs, err := st.Allocs(ws, ns, args.Prefix)
			if err != nil {
				return 0, err
			}
			reply.Allocations = allocStubs(allocs)
			return st.Index(state.TableAllocs)
		})
}
