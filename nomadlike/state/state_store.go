package state

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// AllNamespaces in a namespace argument of a list read means every
// namespace, as Nomad's "*".
const AllNamespaces = "*"

// StateStore holds the cluster state. Writes are serialised by the caller
// (the FSM); reads are safe from any goroutine.
type StateStore struct {
	logger hclog.Logger
	db     *memdb.MemDB

	// abandonCh is closed when a Raft restore replaces this store; blocked
	// readers wake up and move to successor.
	abandonCh   chan struct{}
	abandonOnce sync.Once
	successor   atomic.Pointer[StateStore]

	// trackedVersions is how many versions of a job are kept (0: default).
	trackedVersions atomic.Int64
}

// NewStateStore returns an empty store.
func NewStateStore(logger hclog.Logger) (*StateStore, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fmt.Errorf("state: create memdb: %w", err)
	}
	return &StateStore{
		logger:    logger.Named("state"),
		db:        db,
		abandonCh: make(chan struct{}),
	}, nil
}

// AbandonCh is closed once a Raft restore has replaced the store.
func (s *StateStore) AbandonCh() <-chan struct{} {
	return s.abandonCh
}

// Abandon marks the store as replaced by next and wakes every blocked
// reader, which carries on against next. Only the FSM calls it, after a
// restore.
func (s *StateStore) Abandon(next *StateStore) {
	s.successor.Store(next)
	s.abandonOnce.Do(func() { close(s.abandonCh) })
}

// current follows the chain of restores to the store now in use.
func (s *StateStore) current() *StateStore {
	cur := s
	for {
		next := cur.successor.Load()
		if next == nil {
			return cur
		}
		cur = next
	}
}

// Snapshot returns a consistent view of the store as of now. Later writes
// to the store do not show in it; it costs O(1) to take.
func (s *StateStore) Snapshot() *StateSnapshot {
	return &StateSnapshot{store: &StateStore{
		logger:    s.logger,
		db:        s.db.Snapshot(),
		abandonCh: s.abandonCh,
	}}
}

// Index returns the Raft index of the last write to table (0 if none).
func (s *StateStore) Index(table string) (uint64, error) {
	txn := s.db.Txn(false)
	raw, err := txn.First(TableIndex, indexID, table)
	if err != nil {
		return 0, fmt.Errorf("state: read index of %q: %w", table, err)
	}
	if raw == nil {
		return 0, nil
	}
	return raw.(*IndexEntry).Value, nil
}

// LatestIndex returns the highest Raft index applied to any table.
func (s *StateStore) LatestIndex() (uint64, error) {
	entries, err := s.Indexes()
	if err != nil {
		return 0, err
	}
	var max uint64
	for _, e := range entries {
		if e.Value > max {
			max = e.Value
		}
	}
	return max, nil
}

// Indexes returns every row of the index table.
func (s *StateStore) Indexes() ([]*IndexEntry, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableIndex, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list indexes: %w", err)
	}
	var out []*IndexEntry
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*IndexEntry))
	}
	return out, nil
}

// setIndex records that table was written at index.
func setIndex(txn *memdb.Txn, index uint64, tables ...string) error {
	for _, t := range tables {
		if err := txn.Insert(TableIndex, &IndexEntry{Key: t, Value: index}); err != nil {
			return fmt.Errorf("state: update index of %q: %w", t, err)
		}
	}
	return nil
}

// QueryFn is one run of a blocking read: it reads from s, adds what it
// read to ws, and returns the index the result is current as of. s is a
// snapshot, so every read of one run sees the same writes: rows read
// before a concurrent write can never be paired with a table index read
// after it, which would make the caller's next query wait past a change
// it never received.
type QueryFn func(ws memdb.WatchSet, s *StateStore) (index uint64, err error)

// BlockingQuery runs run once; while the index it returns is not above
// minIndex it waits for what run watched to change (or for a Raft restore
// to replace the store) and runs it again, until maxTime has passed or ctx
// is done. A minIndex of 0 never blocks. On timeout it returns the last
// run's index and no error: the caller answers with the unchanged data, as
// Nomad's blocking queries do.
func (s *StateStore) BlockingQuery(ctx context.Context, minIndex uint64, maxTime time.Duration, run QueryFn) (uint64, error) {
	if maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxTime)
		defer cancel()
	}
	store := s.current()
	for {
		ws := memdb.NewWatchSet()
		ws.Add(store.abandonCh)
		// The snapshot shares the live tree's nodes, so what run watches
		// through it still fires on later writes.
		index, err := run(ws, store.Snapshot().store)
		if err != nil || minIndex == 0 || index > minIndex {
			return index, err
		}
		if ws.WatchCtx(ctx) != nil {
			return index, nil
		}
		store = store.current()
	}
}

// StateRestore loads a whole state, as read from a Raft snapshot, into an
// empty store in one transaction.
type StateRestore struct {
	txn *memdb.Txn
}

// Restore starts loading objects into the store; Commit makes them
// visible at once.
func (s *StateStore) Restore() *StateRestore {
	return &StateRestore{txn: s.db.Txn(true)}
}

func (r *StateRestore) insert(table string, obj interface{}) error {
	if err := r.txn.Insert(table, obj); err != nil {
		return fmt.Errorf("state: restore into %s: %w", table, err)
	}
	return nil
}

// IndexRestore restores a row of the index table.
func (r *StateRestore) IndexRestore(e *IndexEntry) error { return r.insert(TableIndex, e) }

// JobRestore restores a job.
func (r *StateRestore) JobRestore(j *structs.Job) error { return r.insert(TableJobs, j) }

// JobSummaryRestore restores a job summary.
func (r *StateRestore) JobSummaryRestore(js *structs.JobSummary) error {
	return r.insert(TableJobSummary, js)
}

// NodeRestore restores a node.
func (r *StateRestore) NodeRestore(n *structs.Node) error { return r.insert(TableNodes, n) }

// AllocRestore restores an allocation.
func (r *StateRestore) AllocRestore(a *structs.Allocation) error { return r.insert(TableAllocs, a) }

// EvalRestore restores an evaluation.
func (r *StateRestore) EvalRestore(e *structs.Evaluation) error { return r.insert(TableEvals, e) }

// Commit makes the restored objects visible.
func (r *StateRestore) Commit() { r.txn.Commit() }

// Abort drops everything restored so far.
func (r *StateRestore) Abort() { r.txn.Abort() }

// SnapshotMinIndex waits until the store has applied index, then returns
// a snapshot. Workers and the plan applier use it to plan against state at
// least as new as what they were told about. It fails when ctx is done
// first.
func (s *StateStore) SnapshotMinIndex(ctx context.Context, index uint64) (*StateSnapshot, error) {
	var snap *StateSnapshot
	var minIndex uint64
	if index > 0 {
		minIndex = index - 1
	}
	_, err := s.BlockingQuery(ctx, minIndex, 0, func(ws memdb.WatchSet, st *StateStore) (uint64, error) {
		txn := st.db.Txn(false)
		iter, err := txn.Get(TableIndex, indexID)
		if err != nil {
			return 0, fmt.Errorf("state: watch indexes: %w", err)
		}
		ws.Add(iter.WatchCh())
		snap = st.Snapshot()
		return snap.Index(), nil
	})
	if err != nil {
		return nil, err
	}
	if got := snap.Index(); got < index {
		return nil, fmt.Errorf("state: timed out waiting for index %d, at %d: %w", index, got, ctx.Err())
	}
	return snap, nil
}
