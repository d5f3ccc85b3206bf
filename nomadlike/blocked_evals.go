package nomadlike

// Blocked evaluations are those whose placements failed for lack of room
// (or, with TriggeredBy "max-plan-attempts", for plan conflicts). They wait
// here, one per job, until capacity appears where they could use it, and
// are then handed back to the eval broker. Exported API:
//
//	NewBlockedEvals(enqueue func(*structs.Evaluation), logger hclog.Logger) *BlockedEvals
//	(*BlockedEvals).SetEnabled(enabled bool) / Enabled() bool
//	(*BlockedEvals).Block(eval *structs.Evaluation)
//	(*BlockedEvals).Unblock(computedClass string, index uint64)
//	(*BlockedEvals).UnblockNode(node *structs.Node, index uint64)
//	(*BlockedEvals).UnblockAll(index uint64)
//	(*BlockedEvals).UnblockFailed()
//	(*BlockedEvals).MarkCapacity(computedClass string, index uint64)
//	(*BlockedEvals).Prune(before time.Time)
//	(*BlockedEvals).Untrack(namespace, jobID string)
//	(*BlockedEvals).Cancelable(max int) []*structs.Evaluation
//	(*BlockedEvals).CancelableCh() <-chan struct{}
//	(*BlockedEvals).Stats() *BlockedStats
//	(*BlockedEvals).EmitStats(period time.Duration, stopCh <-chan struct{})
//
// The leader calls Block for every evaluation the FSM writes with status
// "blocked"; Unblock with a node's computed class when the node registers
// ready, becomes ready or eligible, or changes class; UnblockNode when
// allocations stop on a node; UnblockFailed and Prune periodically; and
// Untrack when a job is deregistered.

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
	TotalEscaped    int
	TotalCancelable int
	// Unblocked counts the evaluations handed back to the broker since
	// the tracker was enabled, however they were unblocked.
	Unblocked uint64
}

// unblockMark is the newest state index at which capacity appeared on a
// node of one computed class, and when that was recorded (for Prune).
type unblockMark struct {
	index uint64
	at    time.Time
}

// BlockedEvals tracks blocked evaluations on the leader. It is safe for
// concurrent use.
//
// A capacity change on a node unblocks only the evaluations it may help,
// judged by the node's computed class against each evaluation's
// ClassEligibility (what the scheduler learned on its run):
//
//   - eligible for the class: the node passes the group's drivers and
//     constraints, so it may have the room that was missing;
//   - class never seen: nothing is known, so the evaluation must run;
//   - ineligible: no node of the class can ever host it; it stays blocked,
//     costing no scheduler run;
//   - escaped (EscapedComputedClass): a constraint reads a unique target, so
//     classes prove nothing and every change unblocks it.
//
// System and sysbatch evaluations are tracked the same way: the node they
// ran out of room on has a class they found eligible, so an allocation
// stopping there unblocks them; a new node gets its own node-update
// evaluation anyway.
type BlockedEvals struct {
	enqueue func(*structs.Evaluation)
	logger  hclog.Logger
	// now stamps unblock marks for Prune; tests may replace it.
	now func() time.Time

	mu      sync.Mutex
	enabled bool
	byJob   map[brokerJobKey]*structs.Evaluation
	// unblockIndexes guards against the race between a scheduler's
	// snapshot and Block: an evaluation planned before capacity appeared
	// on a class it could use is enqueued at once instead of tracked,
	// or the change it missed would never wake it.
	unblockIndexes map[string]unblockMark
	// allIndex is the same for UnblockAll, which matches every class.
	allIndex  uint64
	unblocked uint64
	cancel    cancelBacklog
}

// NewBlockedEvals returns a disabled tracker that re-enqueues unblocked
// evaluations through enqueue (the broker's Enqueue).
func NewBlockedEvals(enqueue func(*structs.Evaluation), logger hclog.Logger) *BlockedEvals {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &BlockedEvals{
		enqueue:        enqueue,
		logger:         logger.Named("blocked_evals"),
		now:            time.Now,
		byJob:          make(map[brokerJobKey]*structs.Evaluation),
		unblockIndexes: make(map[string]unblockMark),
		cancel:         newCancelBacklog(),
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
		b.unblockIndexes = make(map[string]unblockMark)
		b.cancel.reset()
		b.allIndex, b.unblocked = 0, 0
	}
}

// Block tracks eval until capacity it could use appears. A job keeps only
// its newest blocked evaluation; an older one is handed out through
// Cancelable.
func (b *BlockedEvals) Block(eval *structs.Evaluation) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return
	}
	if b.missedUnblockLocked(eval) {
		b.unblocked++
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
		b.cancel.push(eval)
	default:
		b.byJob[key] = eval
		b.cancel.push(old)
	}
}

// missedUnblockLocked reports whether capacity appeared, after the
// snapshot eval was planned on, on a class eval would be unblocked for.
func (b *BlockedEvals) missedUnblockLocked(eval *structs.Evaluation) bool {
	if b.allIndex > eval.SnapshotIndex {
		return true
	}
	for class, mark := range b.unblockIndexes {
		if mark.index > eval.SnapshotIndex && helps(eval, class) {
			return true
		}
	}
	return false
}

// helps reports whether capacity on a node of class may let eval place.
func helps(eval *structs.Evaluation, class string) bool {
	if eval.EscapedComputedClass {
		return true
	}
	eligible, seen := eval.ClassEligibility[class]
	return !seen || eligible
}

// Unblock re-enqueues the blocked evaluations that a node of
// computedClass may help, because capacity appeared on one at state index
// (it registered or became ready or eligible). An empty class, a node
// registered before classes were computed, helps every evaluation.
func (b *BlockedEvals) Unblock(computedClass string, index uint64) {
	n := b.unblock(index, func(e *structs.Evaluation) bool { return helps(e, computedClass) }, func() {
		if m := b.unblockIndexes[computedClass]; index > m.index {
			b.unblockIndexes[computedClass] = unblockMark{index: index, at: b.now()}
		}
	})
	if n > 0 {
		b.logger.Debug("unblocked evals", "computed_class", computedClass, "index", index, "count", n)
	}
}

// MarkCapacity records that capacity appeared on a node of computedClass
// at state index without unblocking anything: a new leader seeds the marks
// from state before it restores the blocked evaluations, so one planned
// before a change its predecessor had no time to act on runs at once.
func (b *BlockedEvals) MarkCapacity(computedClass string, index uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return
	}
	if m := b.unblockIndexes[computedClass]; index > m.index {
		b.unblockIndexes[computedClass] = unblockMark{index: index, at: b.now()}
	}
}

// UnblockNode is Unblock for capacity freed on one node: allocations
// stopped there at state index.
func (b *BlockedEvals) UnblockNode(node *structs.Node, index uint64) {
	if node == nil {
		return
	}
	b.Unblock(node.ComputedClass, index)
}

// UnblockAll re-enqueues every blocked evaluation, for changes not tied to
// one node.
func (b *BlockedEvals) UnblockAll(index uint64) {
	n := b.unblock(index, func(*structs.Evaluation) bool { return true }, func() {
		b.allIndex = max(b.allIndex, index)
	})
	if n > 0 {
		b.logger.Debug("unblocked all evals", "index", index, "count", n)
	}
}

// UnblockFailed re-enqueues the evaluations blocked because their plans
// kept conflicting (TriggeredBy "max-plan-attempts") rather than for lack
// of capacity: no capacity change need ever come for them, so the leader
// calls this periodically.
func (b *BlockedEvals) UnblockFailed() {
	n := b.unblock(0, func(e *structs.Evaluation) bool {
		return e.TriggeredBy == structs.EvalTriggerMaxPlans
	}, nil)
	if n > 0 {
		b.logger.Debug("unblocked evals blocked by plan failures", "count", n)
	}
}

// Prune forgets the unblock marks recorded before the given time. An
// evaluation is planned on a snapshot seconds old, not hours, so old marks
// only cost memory once every class has seen a node come and go.
func (b *BlockedEvals) Prune(before time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for class, m := range b.unblockIndexes {
		if m.at.Before(before) {
			delete(b.unblockIndexes, class)
		}
	}
}

// unblock takes the tracked evaluations match selects, runs mark under
// the lock (so a Block racing with it sees either the evaluation tracked
// here or the mark) and enqueues them. It returns how many it enqueued.
func (b *BlockedEvals) unblock(index uint64, match func(*structs.Evaluation) bool, mark func()) int {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return 0
	}
	if mark != nil {
		mark()
	}
	var evals []*structs.Evaluation
	for key, e := range b.byJob {
		if match(e) {
			evals = append(evals, e)
			delete(b.byJob, key)
		}
	}
	b.unblocked += uint64(len(evals))
	b.mu.Unlock()
	if len(evals) == 0 {
		return 0
	}
	metrics.IncrCounter([]string{"blocked_evals", "unblocked"}, float32(len(evals)))

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
	s := &BlockedStats{TotalBlocked: len(b.byJob), TotalCancelable: b.cancel.len(), Unblocked: b.unblocked}
	for _, e := range b.byJob {
		if e.EscapedComputedClass {
			s.TotalEscaped++
		}
	}
	return s
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
		metrics.SetGauge([]string{"blocked_evals", "total_escaped"}, float32(s.TotalEscaped))
		metrics.SetGauge([]string{"blocked_evals", "total_cancelable"}, float32(s.TotalCancelable))
	}
}
