package nomadlike

// Blocked evaluations are those whose placements failed for lack of room.
// They wait here, one per job, until capacity may have appeared, and are
// then handed back to the eval broker. Exported API:
//
//	NewBlockedEvals(enqueue func(*structs.Evaluation), logger hclog.Logger) *BlockedEvals
//	(*BlockedEvals).SetEnabled(enabled bool) / Enabled() bool
//	(*BlockedEvals).Block(eval *structs.Evaluation)
//	(*BlockedEvals).Unblock(classOrNodeID string, index uint64)
//	(*BlockedEvals).UnblockAll(index uint64)
//	(*BlockedEvals).Untrack(namespace, jobID string)
//	(*BlockedEvals).Cancelable(max int) []*structs.Evaluation
//	(*BlockedEvals).CancelableCh() <-chan struct{}
//	(*BlockedEvals).Stats() *BlockedStats
//	(*BlockedEvals).EmitStats(period time.Duration, stopCh <-chan struct{})
//
// The leader calls Block for every evaluation the FSM writes with status
// "blocked", Unblock when a node registers or becomes ready or allocations
// stop, and Untrack when a job is deregistered.

import (
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	metrics "github.com/hashicorp/go-metrics"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// BlockedStats counts the tracker's evaluations.
type BlockedStats struct {
	TotalBlocked    int
	TotalCancelable int
}

// BlockedEvals tracks blocked evaluations on the leader. It is safe for
// concurrent use.
//
// Every capacity change unblocks every blocked evaluation. That costs a
// scheduler run per blocked job on each node event, but can never leave an
// evaluation blocked while room exists; tracking which node classes each
// evaluation was rejected on, to unblock only the ones a change can help,
// comes with the full scheduler work.
type BlockedEvals struct {
	enqueue func(*structs.Evaluation)
	logger  hclog.Logger

	mu      sync.Mutex
	enabled bool
	byJob   map[brokerJobKey]*structs.Evaluation
	// lastUnblock is the highest state index at which capacity changed. An
	// evaluation planned on an older snapshot may already fit, so it is
	// not blocked at all: without this, a node arriving between the
	// scheduler's snapshot and Block would be missed forever.
	lastUnblock uint64
	cancel      cancelBacklog
}

// NewBlockedEvals returns a disabled tracker that re-enqueues unblocked
// evaluations through enqueue (the broker's Enqueue).
func NewBlockedEvals(enqueue func(*structs.Evaluation), logger hclog.Logger) *BlockedEvals {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &BlockedEvals{
		enqueue: enqueue,
		logger:  logger.Named("blocked_evals"),
		byJob:   make(map[brokerJobKey]*structs.Evaluation),
		cancel:  newCancelBacklog(),
	}
}

// Enabled reports whether the tracker accepts evaluations.
func (b *BlockedEvals) Enabled() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.enabled
}

// SetEnabled turns tracking on for the leader; disabling forgets
// everything, as the next leader restores blocked evaluations from state.
func (b *BlockedEvals) SetEnabled(enabled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if enabled == b.enabled {
		return
	}
	b.enabled = enabled
	if !enabled {
		b.byJob = make(map[brokerJobKey]*structs.Evaluation)
		b.cancel.reset()
		b.lastUnblock = 0
	}
}

// Block tracks eval until capacity changes. A job keeps only its newest
// blocked evaluation; an older one is handed out through Cancelable.
func (b *BlockedEvals) Block(eval *structs.Evaluation) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return
	}
	if b.lastUnblock > eval.SnapshotIndex {
		b.mu.Unlock()
		b.logger.Debug("capacity changed since eval was planned, enqueueing now",
			"eval_id", eval.ID, "snapshot_index", eval.SnapshotIndex)
		b.enqueue(eval)
		return
	}
	defer b.mu.Unlock()

	key := evalJobKey(eval)
	old, ok := b.byJob[key]
	switch {
	case !ok:
		b.byJob[key] = eval
	case old.ID == eval.ID:
		// Already tracked: the FSM hands an eval over on every write of it.
	case old.CreateIndex > eval.CreateIndex:
		b.cancelLocked(eval)
	default:
		b.byJob[key] = eval
		b.cancelLocked(old)
	}
}

func (b *BlockedEvals) cancelLocked(eval *structs.Evaluation) {
	b.cancel.push(eval)
}

// Unblock re-enqueues every blocked evaluation because capacity changed
// at state index on the node or node class classOrNodeID.
func (b *BlockedEvals) Unblock(classOrNodeID string, index uint64) {
	n := b.unblock(index)
	if n > 0 {
		b.logger.Debug("unblocked evals", "trigger", classOrNodeID, "index", index, "count", n)
	}
}

// UnblockAll re-enqueues every blocked evaluation, for changes not tied to
// one node.
func (b *BlockedEvals) UnblockAll(index uint64) {
	n := b.unblock(index)
	if n > 0 {
		b.logger.Debug("unblocked all evals", "index", index, "count", n)
	}
}

func (b *BlockedEvals) unblock(index uint64) int {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return 0
	}
	if index > b.lastUnblock {
		b.lastUnblock = index
	}
	evals := make([]*structs.Evaluation, 0, len(b.byJob))
	for _, e := range b.byJob {
		evals = append(evals, e)
	}
	b.byJob = make(map[brokerJobKey]*structs.Evaluation)
	b.mu.Unlock()

	// Enqueued outside the lock: the broker takes its own, and a stable
	// order keeps equal-priority evaluations FIFO there.
	sort.Slice(evals, func(i, j int) bool {
		if evals[i].Priority != evals[j].Priority {
			return evals[i].Priority > evals[j].Priority
		}
		return evals[i].CreateIndex < evals[j].CreateIndex
	})
	for _, e := range evals {
		b.enqueue(e)
	}
	return len(evals)
}

// Untrack forgets the blocked evaluation of a deregistered job.
func (b *BlockedEvals) Untrack(namespace, jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.byJob, brokerJobKey{namespace, jobID})
}

// Cancelable takes up to max superseded evaluations (all when max <= 0),
// for the leader to mark canceled in state.
func (b *BlockedEvals) Cancelable(max int) []*structs.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cancel.take(max)
}

// CancelableCh receives when Cancelable has something to take.
func (b *BlockedEvals) CancelableCh() <-chan struct{} { return b.cancel.ready }

// Stats returns the tracker's counts.
func (b *BlockedEvals) Stats() *BlockedStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return &BlockedStats{TotalBlocked: len(b.byJob), TotalCancelable: b.cancel.len()}
}

// EmitStats publishes the counts as go-metrics gauges every period until
// stopCh is closed.
func (b *BlockedEvals) EmitStats(period time.Duration, stopCh <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-t.C:
		}
		s := b.Stats()
		metrics.SetGauge([]string{"blocked_evals", "total_blocked"}, float32(s.TotalBlocked))
		metrics.SetGauge([]string{"blocked_evals", "total_cancelable"}, float32(s.TotalCancelable))
	}
}
