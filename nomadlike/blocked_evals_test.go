package nomadlike

import (
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// recordingEnqueuer collects what BlockedEvals hands to the broker.
type recordingEnqueuer struct {
	mu    sync.Mutex
	evals []*structs.Evaluation
}

func (r *recordingEnqueuer) Enqueue(e *structs.Evaluation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evals = append(r.evals, e)
}

func (r *recordingEnqueuer) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, len(r.evals))
	for i, e := range r.evals {
		ids[i] = e.ID
	}
	return ids
}

func blockedEval(job string, createIndex, snapshotIndex uint64) *structs.Evaluation {
	e := mock.Eval()
	e.JobID = job
	e.Status = structs.EvalStatusBlocked
	e.CreateIndex = createIndex
	e.SnapshotIndex = snapshotIndex
	return e
}

func newTestBlockedEvals(t *testing.T) (*BlockedEvals, *recordingEnqueuer) {
	t.Helper()
	rec := &recordingEnqueuer{}
	b := NewBlockedEvals(rec.Enqueue, loopsTestLogger(t))
	b.SetEnabled(true)
	return b, rec
}

func TestBlockedEvals_UnblockOnCapacityChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		unblock func(b *BlockedEvals)
	}{
		{"node event", func(b *BlockedEvals) { b.Unblock("node-1", 20) }},
		{"unblock all", func(b *BlockedEvals) { b.UnblockAll(20) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, rec := newTestBlockedEvals(t)
			web := blockedEval("web", 5, 10)
			api := blockedEval("api", 6, 10)
			api.Priority = 90
			b.Block(web)
			b.Block(api)
			if got := b.Stats().TotalBlocked; got != 2 {
				t.Fatalf("blocked = %d, want 2", got)
			}
			if len(rec.IDs()) != 0 {
				t.Fatal("blocked evals reached the broker before any capacity change")
			}

			tc.unblock(b)
			if got := rec.IDs(); len(got) != 2 || got[0] != api.ID || got[1] != web.ID {
				t.Fatalf("enqueued %v, want [api web] by priority", got)
			}
			if got := b.Stats().TotalBlocked; got != 0 {
				t.Fatalf("blocked after unblock = %d, want 0", got)
			}
		})
	}
}

func TestBlockedEvals_NewestPerJobWins(t *testing.T) {
	t.Parallel()
	b, rec := newTestBlockedEvals(t)
	older := blockedEval("web", 5, 10)
	newer := blockedEval("web", 8, 12)
	b.Block(older)
	b.Block(newer)
	b.Block(newer) // the FSM may hand the same eval over again
	stale := blockedEval("web", 3, 9)
	b.Block(stale)

	select {
	case <-b.CancelableCh():
	default:
		t.Fatal("cancelable channel not signalled")
	}
	got := map[string]bool{}
	for _, e := range b.Cancelable(0) {
		got[e.ID] = true
	}
	if len(got) != 2 || !got[older.ID] || !got[stale.ID] {
		t.Fatalf("cancelable %v, want the older and the stale eval", got)
	}
	b.UnblockAll(20)
	if ids := rec.IDs(); len(ids) != 1 || ids[0] != newer.ID {
		t.Fatalf("enqueued %v, want only the newest", ids)
	}
}

func TestBlockedEvals_CapacityChangedSincePlanning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		snapshotIndex uint64
		wantBlocked   bool
	}{
		{"planned before the change", 15, false},
		{"planned after the change", 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, rec := newTestBlockedEvals(t)
			b.Unblock("node-1", 20)
			b.Block(blockedEval("web", 5, tc.snapshotIndex))
			blocked := b.Stats().TotalBlocked == 1
			enqueued := len(rec.IDs()) == 1
			if blocked != tc.wantBlocked || enqueued == tc.wantBlocked {
				t.Fatalf("blocked = %v, enqueued %d; want blocked = %v", blocked, len(rec.IDs()), tc.wantBlocked)
			}
		})
	}
}

func TestBlockedEvals_UntrackAndDisable(t *testing.T) {
	t.Parallel()
	b, rec := newTestBlockedEvals(t)
	web := blockedEval("web", 5, 10)
	b.Block(web)
	b.Untrack(web.Namespace, "web")
	b.Block(blockedEval("api", 6, 10))
	b.SetEnabled(false)
	b.Block(blockedEval("db", 7, 10))
	b.SetEnabled(true)
	b.UnblockAll(30)
	if ids := rec.IDs(); len(ids) != 0 {
		t.Fatalf("enqueued %v, want nothing: web untracked, api flushed, db blocked while disabled", ids)
	}
}

func TestBlockedEvals_UnblockReachesBroker(t *testing.T) {
	t.Parallel()
	broker := newTestBroker(t, time.Minute, 3)
	blocked := NewBlockedEvals(broker.Enqueue, loopsTestLogger(t))
	blocked.SetEnabled(true)

	e := blockedEval("web", 5, 10)
	blocked.Block(e)
	mustBeEmpty(t, broker)
	blocked.Unblock("node-1", 11)
	got, _ := mustDequeue(t, broker)
	if got.ID != e.ID {
		t.Fatalf("dequeued %s, want the unblocked eval", got.ID)
	}
}
