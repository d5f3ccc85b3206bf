package nomadlike

import (
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/stream"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fsmEventTypes names the events of each Raft entry type, as Nomad does;
// an entry type missing here publishes nothing.
var fsmEventTypes = map[structs.MessageType]string{
	structs.NodeRegisterRequestType:      stream.TypeNodeRegistration,
	structs.NodeDeregisterRequestType:    stream.TypeNodeDeregistration,
	structs.NodeUpdateStatusRequestType:  stream.TypeNodeEvent,
	structs.NodeUpdateEligibilityReqType: stream.TypeNodeDrain,
	structs.NodeUpdateDrainRequestType:   stream.TypeNodeDrain,
	structs.JobRegisterRequestType:       stream.TypeJobRegistered,
	structs.JobDeregisterRequestType:     stream.TypeJobDeregistered,
	structs.EvalUpdateRequestType:        stream.TypeEvalUpdated,
	structs.ApplyPlanResultsRequestType:  stream.TypePlanResult,
	structs.AllocClientUpdateRequestType: stream.TypeAllocationUpdated,

	structs.AllocUpdateDesiredTransitType: stream.TypeAllocationUpdateDesiredStatus,
}

// eventDraft is what the entry being applied wrote, noted by its applier
// from the request it already decoded. Once the write succeeds, the FSM
// reads the noted objects back from the store (they carry the entry's
// index there) and publishes them. Objects an entry deletes are read
// before the write instead.
type eventDraft struct {
	nodes  []string
	jobs   [][2]string
	evals  []string
	allocs []string

	deletedNode *structs.Node
	deletedJob  *structs.Job
}

func (f *FSM) noteNodes(ids ...string) {
	if f.events != nil {
		f.draft.nodes = append(f.draft.nodes, ids...)
	}
}

func (f *FSM) noteJob(namespace, id string) {
	if f.events != nil {
		f.draft.jobs = append(f.draft.jobs, [2]string{namespace, id})
	}
}

func (f *FSM) noteEvals(ids []string) {
	if f.events != nil {
		f.draft.evals = append(f.draft.evals, ids...)
	}
}

func (f *FSM) noteAllocs(allocs ...[]*structs.Allocation) {
	if f.events == nil {
		return
	}
	for _, list := range allocs {
		for _, a := range list {
			if a != nil {
				f.draft.allocs = append(f.draft.allocs, a.ID)
			}
		}
	}
}

// noteAllocsWrittenAt notes the job's allocations the entry at index
// changed (those -no-shutdown-delay marked), read after the write.
func (f *FSM) noteAllocsWrittenAt(namespace, jobID string, index uint64) {
	allocs, err := f.State().AllocsByJob(nil, namespace, jobID)
	if err != nil {
		return
	}
	for _, a := range allocs {
		if a.ModifyIndex == index {
			f.draft.allocs = append(f.draft.allocs, a.ID)
		}
	}
}

// noteDeletedNode keeps the node about to be deleted for its event.
func (f *FSM) noteDeletedNode(id string) {
	if f.events != nil {
		f.draft.deletedNode, _ = f.State().NodeByID(nil, id)
	}
}

// noteDeletedJob keeps the job about to be purged for its event.
func (f *FSM) noteDeletedJob(namespace, id string) {
	if f.events != nil {
		f.draft.deletedJob, _ = f.State().JobByID(nil, namespace, id)
	}
}

// publishEvents turns the draft of the entry just applied at index into
// one batch and hands it to the broker, which never blocks.
func (f *FSM) publishEvents(msgType structs.MessageType, index uint64) {
	if f.events == nil {
		return
	}
	d := f.draft
	f.draft = eventDraft{}
	typ, ok := fsmEventTypes[msgType]
	if !ok {
		return
	}
	st := f.State()
	var events []stream.Event
	if d.deletedNode != nil {
		events = append(events, stream.NodeChanged(typ, index, d.deletedNode))
	}
	for _, id := range dedupe(d.nodes) {
		if n, err := st.NodeByID(nil, id); err == nil && n != nil {
			events = append(events, stream.NodeChanged(typ, index, n))
		}
	}
	if d.deletedJob != nil {
		events = append(events, stream.JobChanged(typ, index, d.deletedJob, true))
	}
	for _, key := range d.jobs {
		if j, err := st.JobByID(nil, key[0], key[1]); err == nil && j != nil {
			events = append(events, stream.JobChanged(typ, index, j, false))
		}
	}
	events = appendAllocEvents(events, st, typ, index, dedupe(d.allocs))
	for _, id := range dedupe(d.evals) {
		if e, err := st.EvalByID(nil, id); err == nil && e != nil {
			events = append(events, stream.EvalChanged(typ, index, e))
		}
	}
	f.events.Publish(&stream.Events{Index: index, Events: events})
}

func appendAllocEvents(events []stream.Event, st *state.StateStore, typ string, index uint64, ids []string) []stream.Event {
	for _, id := range ids {
		a, err := st.AllocByID(nil, id)
		// An allocation the entry did not change (a client update for
		// one already gone, a stop of one collected) has an older index.
		if err == nil && a != nil && a.ModifyIndex == index {
			events = append(events, stream.AllocChanged(typ, index, a))
		}
	}
	return events
}

// dedupe keeps the first of each ID, in order: a plan may stop and place
// on one node, a client batch may report an allocation twice.
func dedupe(ids []string) []string {
	if len(ids) < 2 {
		return ids
	}
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}
