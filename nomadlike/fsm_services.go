package nomadlike

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// snapServiceRegistration is a catalog row in a snapshot.
const snapServiceRegistration snapshotRecord = 30

// The catalog's appliers, and the rules that keep it from outliving its
// allocations: an entry that makes an allocation terminal (client
// complete/failed/lost, or a plan's stop/evict) or takes a node down also
// removes the matching instances, at the same index. This holds even when
// the client that registered them is gone, so DNS and the load balancer
// never route to an instance the servers know is dead.
func init() {
	fsmAppliers[structs.ServiceRegistrationUpsertRequestType] = struct {
		name  string
		apply fsmApplier
	}{"service_registration_upsert", (*FSM).applyServiceRegistrationUpsert}
	fsmAppliers[structs.ServiceRegistrationDeleteRequestType] = struct {
		name  string
		apply fsmApplier
	}{"service_registration_delete", (*FSM).applyServiceRegistrationDelete}

	wrapApplier(structs.AllocClientUpdateRequestType, (*FSM).cleanupAllocs)
	wrapApplier(structs.ApplyPlanResultsRequestType, (*FSM).cleanupAllocs)
	wrapApplier(structs.NodeUpdateStatusRequestType, (*FSM).cleanupAfterNodeStatus)
	wrapApplier(structs.NodeDeregisterRequestType, (*FSM).cleanupAfterNodeDeregister)
}

// wrapApplier makes t's applier run after, on the same entry, once the
// original applier succeeded; a failing after is logged, not returned,
// since the entry itself was applied.
func wrapApplier(t structs.MessageType, after func(f *FSM, buf []byte, index uint64) error) {
	entry := fsmAppliers[t]
	inner := entry.apply
	entry.apply = func(f *FSM, buf []byte, index uint64) ([]string, error) {
		evals, err := inner(f, buf, index)
		if err != nil {
			return evals, err
		}
		if err := after(f, buf, index); err != nil {
			f.logger.Error("service catalog cleanup failed", "index", index, "error", err)
		}
		return evals, nil
	}
	fsmAppliers[t] = entry
}

func (f *FSM) applyServiceRegistrationUpsert(buf []byte, index uint64) ([]string, error) {
	var req structs.ServiceRegistrationUpsertRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode service registration upsert: %w", err)
	}
	// An instance whose allocation is already terminal must not come
	// back: a client's last status batch can be committed after the
	// entry that stopped the allocation.
	st := f.State()
	live := req.Services[:0:0]
	for _, r := range req.Services {
		if r == nil {
			continue
		}
		a, err := st.AllocByID(nil, r.AllocID)
		if err != nil {
			return nil, err
		}
		if a != nil && a.TerminalStatus() {
			continue
		}
		live = append(live, r)
	}
	return nil, st.UpsertServiceRegistrations(index, live)
}

func (f *FSM) applyServiceRegistrationDelete(buf []byte, index uint64) ([]string, error) {
	var msg structs.ServiceRegistrationDeleteMsg
	if err := decodeMsg(buf, &msg); err != nil {
		return nil, fmt.Errorf("fsm: decode service registration delete: %w", err)
	}
	st := f.State()
	for _, id := range msg.IDs {
		if err := st.DeleteServiceRegistrationByID(index, id); err != nil {
			return nil, err
		}
	}
	return nil, st.DeleteServiceRegistrationsByAlloc(index, msg.AllocIDs...)
}

// deregisterTerminal removes the instances of the allocations among ids
// that are terminal in the state as just written.
func (f *FSM) deregisterTerminal(index uint64, ids []string) error {
	st := f.State()
	var dead []string
	for _, id := range ids {
		a, err := st.AllocByID(nil, id)
		if err != nil {
			return err
		}
		if a == nil || a.TerminalStatus() {
			dead = append(dead, id)
		}
	}
	if len(dead) == 0 {
		return nil
	}
	return st.DeleteServiceRegistrationsByAlloc(index, dead...)
}

// allocIDsOnly decodes just the allocation IDs of an alloc update or plan
// result entry: the rest (jobs, resources) is not needed to clean up and
// would double the cost of applying a plan.
type allocIDsOnly struct {
	Alloc           []struct{ ID string }
	AllocsUpdated   []struct{ ID string }
	AllocsStopped   []struct{ ID string }
	NodePreemptions []struct{ ID string }
}

func (f *FSM) catalogEmpty() bool {
	idx, err := f.State().Index(state.TableServiceRegistrations)
	return err == nil && idx == 0
}

func (f *FSM) cleanupAllocs(buf []byte, index uint64) error {
	if f.catalogEmpty() {
		return nil
	}
	var req allocIDsOnly
	if err := decodeMsg(buf, &req); err != nil {
		return err
	}
	var ids []string
	for _, list := range [][]struct{ ID string }{req.Alloc, req.AllocsUpdated, req.AllocsStopped, req.NodePreemptions} {
		for _, a := range list {
			ids = append(ids, a.ID)
		}
	}
	return f.deregisterTerminal(index, ids)
}

func (f *FSM) cleanupAfterNodeStatus(buf []byte, index uint64) error {
	var req structs.NodeUpdateStatusRequest
	if err := decodeMsg(buf, &req); err != nil {
		return err
	}
	if req.Status != structs.NodeStatusDown {
		return nil
	}
	return f.State().DeleteServiceRegistrationsByNode(index, req.NodeID)
}

func (f *FSM) cleanupAfterNodeDeregister(buf []byte, index uint64) error {
	var req structs.NodeDeregisterRequest
	if err := decodeMsg(buf, &req); err != nil {
		return err
	}
	return f.State().DeleteServiceRegistrationsByNode(index, req.NodeID)
}

// persistServiceRegistrations writes the catalog into a snapshot.
func persistServiceRegistrations(st *state.StateStore, put func(snapshotRecord, interface{}) error) error {
	regs, err := st.ServiceRegistrations(nil)
	if err != nil {
		return err
	}
	for _, r := range regs {
		if err := put(snapServiceRegistration, r); err != nil {
			return err
		}
	}
	return nil
}
