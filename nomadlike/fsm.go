package nomadlike

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	metrics "github.com/hashicorp/go-metrics"
	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/stream"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// FSM applies committed Raft entries to the state store.
//
// Concurrency contract, as hashicorp/raft drives it:
//   - Apply is called from one goroutine, one entry at a time, in log
//     order; it is the only writer of the store.
//   - Snapshot is called from that same goroutine between two Applies, but
//     the returned FSMSnapshot's Persist runs concurrently with later
//     Applies. Snapshot therefore takes a memdb snapshot (O(1), immutable)
//     and Persist reads only from it.
//   - Restore is exclusive: no Apply runs during it. It builds a new store
//     and swaps it in; readers blocked on the old one are woken through its
//     abandon channel and move to the new one.
//
// Readers get the store through State at any time from any goroutine.
type FSM struct {
	logger hclog.Logger
	state  atomic.Pointer[state.StateStore]

	// onEvalsCreated receives every non-terminal evaluation an entry
	// wrote, after the entry is applied.
	onEvalsCreated func([]*structs.Evaluation)
	// trackedVersions is how many versions of each job the store keeps.
	trackedVersions int

	// events, when set, receives one batch per applied entry; draft
	// collects it while the entry applies (fsm_events.go).
	events *stream.EventBroker
	draft  eventDraft
}

// FSMConfig configures an FSM.
type FSMConfig struct {
	Logger hclog.Logger
	// OnEvalsCreated is called from Apply with the pending and blocked
	// evaluations an entry created or updated, as stored. The leader
	// routes them to the eval broker or the blocked evals; it must not
	// block for long, since Raft waits on it.
	OnEvalsCreated func([]*structs.Evaluation)
	// JobTrackedVersions is how many versions of each job are kept
	// (job_tracked_versions); 0 keeps state.DefaultJobTrackedVersions.
	JobTrackedVersions int
	// Events, when set, is fed the event stream of every applied entry.
	Events *stream.EventBroker
}

// NewFSM returns an FSM over an empty store.
func NewFSM(cfg FSMConfig) (*FSM, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	f := &FSM{logger: cfg.Logger.Named("fsm"), onEvalsCreated: cfg.OnEvalsCreated,
		trackedVersions: cfg.JobTrackedVersions, events: cfg.Events}
	s, err := state.NewStateStore(cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("fsm: %w", err)
	}
	s.SetJobTrackedVersions(f.trackedVersions)
	f.state.Store(s)
	return f, nil
}

// State returns the current store. It changes only on Restore.
func (f *FSM) State() *state.StateStore {
	return f.state.Load()
}

var _ raft.FSM = (*FSM)(nil)

// encodeMsg builds a Raft entry: the message type byte, then msg in
// msgpack.
func encodeMsg(t structs.MessageType, msg interface{}) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(byte(t))
	if err := codec.NewEncoder(&buf, pool.MsgpackHandle).Encode(msg); err != nil {
		return nil, fmt.Errorf("encode raft entry of type %d: %w", t, err)
	}
	return buf.Bytes(), nil
}

func decodeMsg(buf []byte, out interface{}) error {
	return codec.NewDecoderBytes(buf, pool.MsgpackHandle).Decode(out)
}

// fsmApplier applies one decoded message type at index.
type fsmApplier func(f *FSM, buf []byte, index uint64) (evals []string, err error)

// fsmAppliers maps each message type to its applier and metric name.
var fsmAppliers = map[structs.MessageType]struct {
	name  string
	apply fsmApplier
}{
	structs.NodeRegisterRequestType:      {"node_register", (*FSM).applyNodeRegister},
	structs.NodeDeregisterRequestType:    {"node_deregister", (*FSM).applyNodeDeregister},
	structs.NodeUpdateStatusRequestType:  {"node_status_update", (*FSM).applyNodeStatus},
	structs.NodeUpdateEligibilityReqType: {"node_eligibility_update", (*FSM).applyNodeEligibility},
	structs.NodeUpdateDrainRequestType:   {"node_drain_update", (*FSM).applyNodeDrain},
	structs.JobRegisterRequestType:       {"job_register", (*FSM).applyJobRegister},
	structs.JobDeregisterRequestType:     {"job_deregister", (*FSM).applyJobDeregister},
	structs.EvalUpdateRequestType:        {"eval_update", (*FSM).applyEvalUpdate},
	structs.EvalDeleteRequestType:        {"eval_delete", (*FSM).applyEvalDelete},
	structs.ApplyPlanResultsRequestType:  {"apply_plan_results", (*FSM).applyPlanResults},
	structs.AllocClientUpdateRequestType: {"alloc_client_update", (*FSM).applyAllocClientUpdate},

	structs.AllocUpdateDesiredTransitType: {"alloc_update_desired_transition", (*FSM).applyAllocDesiredTransition},
}

// Apply applies one committed entry. It returns nil or the error that
// made the entry a no-op; raft hands that back to the writer as the
// response. It never panics: a bad entry is logged and skipped, since the
// same entry would crash every server on every replay.
func (f *FSM) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	if len(l.Data) == 0 {
		f.logger.Error("empty raft entry", "index", l.Index)
		return errors.New("fsm: empty raft entry")
	}
	msgType := structs.MessageType(l.Data[0])
	ignoreUnknown := msgType&structs.IgnoreUnknownTypeFlag != 0
	msgType &^= structs.IgnoreUnknownTypeFlag

	if responder, ok := fsmResponders[msgType]; ok {
		defer metrics.MeasureSince([]string{"orch", "fsm", responder.name}, time.Now())
		resp, err := responder.apply(f, l.Data[1:], l.Index)
		if err != nil {
			f.logger.Error("failed to apply raft entry", "type", responder.name, "index", l.Index, "error", err)
			return err
		}
		return resp
	}
	entry, ok := fsmAppliers[msgType]
	if !ok {
		if ignoreUnknown {
			f.logger.Warn("skipping raft entry of unknown type", "type", msgType, "index", l.Index)
			return nil
		}
		f.logger.Error("raft entry of unknown type", "type", msgType, "index", l.Index)
		return fmt.Errorf("fsm: unknown message type %d at index %d", msgType, l.Index)
	}
	defer metrics.MeasureSince([]string{"orch", "fsm", entry.name}, time.Now())
	f.draft = eventDraft{}
	evalIDs, err := entry.apply(f, l.Data[1:], l.Index)
	if err != nil {
		f.logger.Error("failed to apply raft entry", "type", entry.name, "index", l.Index, "error", err)
		return err
	}
	f.notifyEvals(evalIDs)
	f.publishEvents(msgType, l.Index)
	return nil
}

// notifyEvals hands the live evaluations among ids, as stored, to the
// callback.
func (f *FSM) notifyEvals(ids []string) {
	if f.onEvalsCreated == nil || len(ids) == 0 {
		return
	}
	s := f.State()
	var live []*structs.Evaluation
	for _, id := range ids {
		e, err := s.EvalByID(nil, id)
		if err != nil || e == nil {
			continue
		}
		if e.Status == structs.EvalStatusPending || e.Status == structs.EvalStatusBlocked {
			live = append(live, e)
		}
	}
	if len(live) > 0 {
		f.onEvalsCreated(live)
	}
}

func evalIDs(evals []*structs.Evaluation) []string {
	ids := make([]string, 0, len(evals))
	for _, e := range evals {
		if e != nil {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

func (f *FSM) applyNodeRegister(buf []byte, index uint64) ([]string, error) {
	var req structs.NodeRegisterRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode node register: %w", err)
	}
	if req.Node != nil && req.Node.ComputedClass == "" {
		// Entries written before servers computed classes.
		req.Node.ComputeClass()
	}
	if req.Node != nil {
		f.noteNodes(req.Node.ID)
	}
	return nil, f.State().UpsertNode(index, req.Node)
}

func (f *FSM) applyNodeDeregister(buf []byte, index uint64) ([]string, error) {
	var req structs.NodeDeregisterRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode node deregister: %w", err)
	}
	f.noteDeletedNode(req.NodeID)
	return nil, f.State().DeleteNode(index, []string{req.NodeID})
}

func (f *FSM) applyNodeStatus(buf []byte, index uint64) ([]string, error) {
	var req structs.NodeUpdateStatusRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode node status update: %w", err)
	}
	f.noteNodes(req.NodeID)
	return nil, f.State().UpdateNodeStatus(index, req.NodeID, req.Status, req.UpdatedAt)
}

func (f *FSM) applyNodeEligibility(buf []byte, index uint64) ([]string, error) {
	var req structs.NodeUpdateEligibilityRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode node eligibility update: %w", err)
	}
	f.noteNodes(req.NodeID)
	return nil, f.State().UpdateNodeEligibility(index, req.NodeID, req.Eligibility, req.UpdatedAt)
}

// applyJobRegister writes the job and its evaluation in one transaction,
// so a registered job never lacks the evaluation that schedules it.
func (f *FSM) applyJobRegister(buf []byte, index uint64) ([]string, error) {
	var req structs.JobRegisterRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode job register: %w", err)
	}
	var evals []*structs.Evaluation
	if req.Eval != nil {
		evals = append(evals, req.Eval)
	}
	if err := f.State().UpsertJobWithEvals(index, req.Job, evals); err != nil {
		return nil, err
	}
	if req.Job != nil {
		f.noteJob(req.Job.Namespace, req.Job.ID)
	}
	f.noteEvals(evalIDs(evals))
	return evalIDs(evals), nil
}

// applyJobDeregister stops the job (a new version with Stop set) or, on a
// purge, deletes it; either way with its evaluation.
func (f *FSM) applyJobDeregister(buf []byte, index uint64) ([]string, error) {
	var req structs.JobDeregisterRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode job deregister: %w", err)
	}
	var evals []*structs.Evaluation
	if req.Eval != nil {
		evals = append(evals, req.Eval)
	}
	ns := req.Namespace
	if ns == "" {
		ns = structs.DefaultNamespace
	}
	if req.Purge {
		f.noteDeletedJob(ns, req.JobID)
	}
	if err := f.State().DeregisterJob(index, ns, req.JobID, req.Purge, req.NoShutdownDelay, evals); err != nil {
		return nil, err
	}
	if !req.Purge {
		f.noteJob(ns, req.JobID)
	}
	if req.NoShutdownDelay && f.events != nil {
		f.noteAllocsWrittenAt(ns, req.JobID, index)
	}
	f.noteEvals(evalIDs(evals))
	return evalIDs(evals), nil
}

func (f *FSM) applyEvalUpdate(buf []byte, index uint64) ([]string, error) {
	var req structs.EvalUpdateRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode eval update: %w", err)
	}
	if err := f.State().UpsertEvals(index, req.Evals); err != nil {
		return nil, err
	}
	f.noteEvals(evalIDs(req.Evals))
	return evalIDs(req.Evals), nil
}

func (f *FSM) applyEvalDelete(buf []byte, index uint64) ([]string, error) {
	var req structs.EvalDeleteRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode eval delete: %w", err)
	}
	return nil, f.State().DeleteEvals(index, req.Evals)
}

func (f *FSM) applyPlanResults(buf []byte, index uint64) ([]string, error) {
	var req structs.ApplyPlanResultsRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode plan results: %w", err)
	}
	if err := f.State().UpsertPlanResults(index, &req); err != nil {
		return nil, err
	}
	f.noteAllocs(req.AllocsUpdated, req.AllocsStopped, req.NodePreemptions)
	ids := append(evalIDs(req.UpdatedEvals), evalIDs(req.PreemptionEvals)...)
	f.noteEvals(ids)
	return ids, nil
}

func (f *FSM) applyAllocClientUpdate(buf []byte, index uint64) ([]string, error) {
	var req structs.AllocUpdateRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode alloc client update: %w", err)
	}
	if err := f.State().UpdateAllocsWithEvals(index, req.Alloc, req.Evals); err != nil {
		return nil, err
	}
	f.noteAllocs(req.Alloc)
	f.noteEvals(evalIDs(req.Evals))
	return evalIDs(req.Evals), nil
}

func (f *FSM) applyAllocDesiredTransition(buf []byte, index uint64) ([]string, error) {
	var req structs.AllocUpdateDesiredTransitionRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode alloc desired transition: %w", err)
	}
	if err := f.State().UpdateAllocsDesiredTransitions(index, req.Allocs, req.Evals); err != nil {
		return nil, err
	}
	if f.events != nil {
		// Sorted, so every server publishes the entry's events alike.
		f.draft.allocs = append(f.draft.allocs, slices.Sorted(maps.Keys(req.Allocs))...)
	}
	f.noteEvals(evalIDs(req.Evals))
	return evalIDs(req.Evals), nil
}

// snapshot record types: each record of a persisted snapshot is one of
// these bytes followed by the msgpack object. Numbers are append-only.
type snapshotRecord uint8

const (
	snapIndex      snapshotRecord = 1
	snapJob        snapshotRecord = 2
	snapJobSummary snapshotRecord = 3
	snapNode       snapshotRecord = 4
	snapAlloc      snapshotRecord = 5
	snapEval       snapshotRecord = 6
	snapJobVersion snapshotRecord = 7
	// snapPeriodicLaunch leaves a gap after the records above, which
	// other tables may fill, so that concurrent additions do not collide.
	snapPeriodicLaunch snapshotRecord = 20
	// snapSchedulerConfig is the scheduler configuration, when stored.
	snapSchedulerConfig snapshotRecord = 8
)

// snapshotTable persists and restores one table that lives outside this
// file. A file adding a table registers it in snapshotTables from an
// init function, under its own record type, so the built-in list above
// stays the only shared edit point.
type snapshotTable struct {
	// persist writes every row with put.
	persist func(st *state.StateStore, put func(snapshotRecord, interface{}) error) error
	// restore decodes one row and restores it.
	restore func(dec *codec.Decoder, r *state.StateRestore) error
}

var snapshotTables = map[snapshotRecord]snapshotTable{}

// snapshotHeader opens a persisted snapshot.
type snapshotHeader struct {
	Version   int
	LastIndex uint64
}

const snapshotVersion = 1

// Snapshot captures the state for Raft. See the FSM's concurrency contract.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{snap: f.State().Snapshot()}, nil
}

type fsmSnapshot struct {
	snap *state.StateSnapshot
}

// Persist writes every table as a stream of records.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	defer metrics.MeasureSince([]string{"orch", "fsm", "persist"}, time.Now())
	if err := s.persist(sink); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *fsmSnapshot) persist(w io.Writer) error {
	enc := codec.NewEncoder(w, pool.MsgpackHandle)
	st := s.snap.Store()
	put := func(kind snapshotRecord, obj interface{}) error {
		if err := enc.Encode(kind); err != nil {
			return fmt.Errorf("fsm: persist record type: %w", err)
		}
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("fsm: persist record %d: %w", kind, err)
		}
		return nil
	}
	if err := enc.Encode(snapshotHeader{Version: snapshotVersion, LastIndex: s.snap.Index()}); err != nil {
		return fmt.Errorf("fsm: persist header: %w", err)
	}
	indexes, err := st.Indexes()
	if err != nil {
		return err
	}
	for _, e := range indexes {
		if err := put(snapIndex, e); err != nil {
			return err
		}
	}
	jobs, err := st.Jobs(nil, state.AllNamespaces, "")
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if err := put(snapJob, j); err != nil {
			return err
		}
	}
	versions, err := st.JobVersions(nil)
	if err != nil {
		return err
	}
	for _, j := range versions {
		if err := put(snapJobVersion, j); err != nil {
			return err
		}
	}
	summaries, err := st.JobSummaries(nil)
	if err != nil {
		return err
	}
	for _, js := range summaries {
		if err := put(snapJobSummary, js); err != nil {
			return err
		}
	}
	nodes, err := st.Nodes(nil)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if err := put(snapNode, n); err != nil {
			return err
		}
	}
	allocs, err := st.Allocs(nil, state.AllNamespaces, "")
	if err != nil {
		return err
	}
	for _, a := range allocs {
		if err := put(snapAlloc, a); err != nil {
			return err
		}
	}
	evals, err := st.Evals(nil, state.AllNamespaces, "")
	if err != nil {
		return err
	}
	for _, e := range evals {
		if err := put(snapEval, e); err != nil {
			return err
		}
	}
	launches, err := st.PeriodicLaunches(nil)
	if err != nil {
		return err
	}
	for _, l := range launches {
		if err := put(snapPeriodicLaunch, l); err != nil {
			return err
		}
	}
	_, cfg, err := st.SchedulerConfig(nil)
	if err != nil {
		return err
	}
	if cfg != nil {
		if err := put(snapSchedulerConfig, cfg); err != nil {
			return err
		}
	}
	kinds := make([]snapshotRecord, 0, len(snapshotTables))
	for k := range snapshotTables {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		if err := snapshotTables[k].persist(st, put); err != nil {
			return err
		}
	}
	if err := persistScalingEvents(st, put); err != nil {
		return err
	}
	return persistServiceRegistrations(st, put)
}

// Release is a no-op: the memdb snapshot is garbage collected.
func (s *fsmSnapshot) Release() {}

// Restore replaces the state with a persisted snapshot. See the FSM's
// concurrency contract.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	defer metrics.MeasureSince([]string{"orch", "fsm", "restore"}, time.Now())
	fresh, err := state.NewStateStore(f.logger)
	if err != nil {
		return fmt.Errorf("fsm: restore: %w", err)
	}
	fresh.SetJobTrackedVersions(f.trackedVersions)
	restore := fresh.Restore()
	defer restore.Abort()
	if err := decodeSnapshot(rc, restore); err != nil {
		return err
	}
	restore.Commit()
	old := f.state.Swap(fresh)
	old.Abandon(fresh)
	return nil
}

func decodeSnapshot(r io.Reader, restore *state.StateRestore) error {
	dec := codec.NewDecoder(r, pool.MsgpackHandle)
	var header snapshotHeader
	if err := dec.Decode(&header); err != nil {
		return fmt.Errorf("fsm: restore header: %w", err)
	}
	if header.Version != snapshotVersion {
		return fmt.Errorf("fsm: restore: snapshot version %d, this server reads %d", header.Version, snapshotVersion)
	}
	for {
		var kind snapshotRecord
		if err := dec.Decode(&kind); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("fsm: restore record type: %w", err)
		}
		var err error
		switch kind {
		case snapIndex:
			e := new(state.IndexEntry)
			if err = dec.Decode(e); err == nil {
				err = restore.IndexRestore(e)
			}
		case snapJob:
			j := new(structs.Job)
			if err = dec.Decode(j); err == nil {
				err = restore.JobRestore(j)
			}
		case snapJobVersion:
			j := new(structs.Job)
			if err = dec.Decode(j); err == nil {
				err = restore.JobVersionRestore(j)
			}
		case snapJobSummary:
			js := new(structs.JobSummary)
			if err = dec.Decode(js); err == nil {
				err = restore.JobSummaryRestore(js)
			}
		case snapNode:
			n := new(structs.Node)
			if err = dec.Decode(n); err == nil {
				err = restore.NodeRestore(n)
			}
		case snapAlloc:
			a := new(structs.Allocation)
			if err = dec.Decode(a); err == nil {
				err = restore.AllocRestore(a)
			}
		case snapEval:
			e := new(structs.Evaluation)
			if err = dec.Decode(e); err == nil {
				err = restore.EvalRestore(e)
			}
		case snapPeriodicLaunch:
			l := new(structs.PeriodicLaunch)
			if err = dec.Decode(l); err == nil {
				err = restore.PeriodicLaunchRestore(l)
			}
		case snapSchedulerConfig:
			c := new(structs.SchedulerConfiguration)
			if err = dec.Decode(c); err == nil {
				err = restore.SchedulerConfigRestore(c)
			}
		case snapScalingEvents:
			e := new(structs.JobScalingEvents)
			if err = dec.Decode(e); err == nil {
				err = restore.ScalingEventRestore(e)
			}
		case snapServiceRegistration:
			r := new(structs.ServiceRegistration)
			if err = dec.Decode(r); err == nil {
				err = restore.ServiceRegistrationRestore(r)
			}
		default:
			table, ok := snapshotTables[kind]
			if !ok {
				return fmt.Errorf("fsm: restore: unknown record type %d", kind)
			}
			err = table.restore(dec, restore)
		}
		if err != nil {
			return fmt.Errorf("fsm: restore record type %d: %w", kind, err)
		}
	}
}
