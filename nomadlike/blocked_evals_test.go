package nomadlike

import (
	"fmt"
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
		{"node of a class the evals never saw", func(b *BlockedEvals) { b.Unblock("class-a", 20) }},
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
			b.Unblock("class-a", 20)
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
	blocked.Unblock("class-a", 11)
	got, _ := mustDequeue(t, broker)
	if got.ID != e.ID {
		t.Fatalf("dequeued %s, want the unblocked eval", got.ID)
	}
}

// classEval is a blocked eval whose scheduler run saw classes: eligible
// and ineligible list the classes found so, escaped marks a constraint on
// a unique target.
func classEval(job string, snapshotIndex uint64, eligible, ineligible []string, escaped bool) *structs.Evaluation {
	e := blockedEval(job, 5, snapshotIndex)
	e.ClassEligibility = make(map[string]bool)
	for _, c := range eligible {
		e.ClassEligibility[c] = true
	}
	for _, c := range ineligible {
		e.ClassEligibility[c] = false
	}
	e.EscapedComputedClass = escaped
	return e
}

func TestBlockedEvals_UnblockByClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		eval     *structs.Evaluation
		class    string
		unblocks bool
	}{
		{"eligible class joins", classEval("web", 10, []string{"big"}, []string{"gpu"}, false), "big", true},
		{"ineligible class joins", classEval("web", 10, []string{"big"}, []string{"gpu"}, false), "gpu", false},
		{"class never seen", classEval("web", 10, []string{"big"}, []string{"gpu"}, false), "new", true},
		{"escaped eval, ineligible class", classEval("web", 10, []string{"big"}, []string{"gpu"}, true), "gpu", true},
		{"node without a class", classEval("web", 10, []string{"big"}, []string{"gpu"}, false), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, rec := newTestBlockedEvals(t)
			b.Block(tc.eval)
			b.Unblock(tc.class, 20)
			if got := len(rec.IDs()) == 1; got != tc.unblocks {
				t.Fatalf("enqueued %v, want unblocked = %v", rec.IDs(), tc.unblocks)
			}
			if got := b.Stats().TotalBlocked; got != map[bool]int{true: 0, false: 1}[tc.unblocks] {
				t.Fatalf("still blocked: %d", got)
			}
		})
	}
}

func TestBlockedEvals_UnblockNode(t *testing.T) {
	t.Parallel()
	node := mock.Node()
	node.ComputeClass()
	other := mock.Node()
	other.Meta["rack"] = "r9"
	other.ComputeClass()
	tests := []struct {
		name     string
		node     *structs.Node
		unblocks bool
	}{
		{"allocation stops on a node of an eligible class", node, true},
		{"allocation stops on a node of an ineligible class", other, false},
		{"node gone", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, rec := newTestBlockedEvals(t)
			b.Block(classEval("web", 10, []string{node.ComputedClass}, []string{other.ComputedClass}, false))
			b.UnblockNode(tc.node, 20)
			if got := len(rec.IDs()) == 1; got != tc.unblocks {
				t.Fatalf("enqueued %v, want unblocked = %v", rec.IDs(), tc.unblocks)
			}
		})
	}
}

// TestBlockedEvals_MissedUnblockByClass covers the race between a
// scheduler's snapshot and Block: capacity that appeared after the
// snapshot on a class the eval could use must enqueue it at once, and
// capacity on a class it cannot use must not.
func TestBlockedEvals_MissedUnblockByClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		eval     *structs.Evaluation
		enqueued bool
	}{
		{"eligible class changed after the snapshot", classEval("web", 15, []string{"big"}, []string{"gpu"}, false), true},
		{"eligible class changed before the snapshot", classEval("web", 25, []string{"big"}, []string{"gpu"}, false), false},
		{"only ineligible classes changed", classEval("web", 15, nil, []string{"big", "gpu"}, false), false},
		{"escaped, any class changed", classEval("web", 15, nil, []string{"big", "gpu"}, true), true},
		{"class unseen by the eval changed", classEval("web", 15, nil, []string{"gpu"}, false), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, rec := newTestBlockedEvals(t)
			b.Unblock("big", 20)
			b.Unblock("gpu", 12)
			b.Block(tc.eval)
			if got := len(rec.IDs()) == 1; got != tc.enqueued {
				t.Fatalf("enqueued %v, want enqueued = %v", rec.IDs(), tc.enqueued)
			}
			if got := b.Stats().TotalBlocked == 1; got == tc.enqueued {
				t.Fatalf("tracked = %v, want %v", got, !tc.enqueued)
			}
		})
	}
}

// TestBlockedEvals_ConcurrentBlockAndUnblock races Block against Unblock
// of a class every eval is eligible for. Eval i was planned at index i and
// the last unblock is at n-1, so once both are done an eval may only still
// be tracked if it was planned at n-1 or later: any other either was
// tracked when an unblock came, or saw its mark when it was blocked.
func TestBlockedEvals_ConcurrentBlockAndUnblock(t *testing.T) {
	t.Parallel()
	b, rec := newTestBlockedEvals(t)
	const n = 500
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range n {
			b.Block(classEval(fmt.Sprintf("job-%d", i), uint64(i), []string{"big"}, nil, false))
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			b.Unblock("big", uint64(i))
		}
	}()
	wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.byJob {
		if e.SnapshotIndex < n-1 {
			t.Errorf("eval planned at %d still blocked after capacity appeared at %d", e.SnapshotIndex, n-1)
		}
	}
	if got := len(rec.IDs()) + len(b.byJob); got != n {
		t.Fatalf("enqueued %d + tracked %d, want %d in all", len(rec.IDs()), len(b.byJob), n)
	}
}

func TestBlockedEvals_UnblockFailed(t *testing.T) {
	t.Parallel()
	b, rec := newTestBlockedEvals(t)
	capacity := classEval("web", 10, nil, []string{"gpu"}, false)
	conflict := classEval("api", 10, nil, []string{"gpu"}, false)
	conflict.TriggeredBy = structs.EvalTriggerMaxPlans
	b.Block(capacity)
	b.Block(conflict)
	b.UnblockFailed()
	if ids := rec.IDs(); len(ids) != 1 || ids[0] != conflict.ID {
		t.Fatalf("enqueued %v, want only the eval blocked by plan conflicts", ids)
	}
	if got := b.Stats().TotalBlocked; got != 1 {
		t.Fatalf("blocked = %d, want the capacity eval still blocked", got)
	}
}

func TestBlockedEvals_Prune(t *testing.T) {
	t.Parallel()
	b, rec := newTestBlockedEvals(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return now }
	b.Unblock("big", 20)
	b.Prune(now.Add(time.Second))
	b.Block(classEval("web", 15, []string{"big"}, nil, false))
	if ids := rec.IDs(); len(ids) != 0 {
		t.Fatalf("enqueued %v after its unblock mark was pruned", ids)
	}
}

// TestBlockedEvals_IneligibleJoinCostsNothing is the point of class
// tracking: with 1,000 blocked evals, a node of a class none of them can
// use enqueues none (no scheduler run), and one of a class they can use
// enqueues them all.
func TestBlockedEvals_IneligibleJoinCostsNothing(t *testing.T) {
	t.Parallel()
	b, rec := newTestBlockedEvals(t)
	const n = 1000
	for i := range n {
		b.Block(classEval(fmt.Sprintf("job-%d", i), 10, []string{"big"}, []string{"small"}, false))
	}
	for i := range 10 {
		b.Unblock("small", uint64(20+i))
	}
	if got := len(rec.IDs()); got != 0 {
		t.Fatalf("ineligible joins enqueued %d evals, want 0", got)
	}
	b.Unblock("big", 40)
	if got := len(rec.IDs()); got != n {
		t.Fatalf("eligible join enqueued %d evals, want %d", got, n)
	}
}

// BenchmarkBlockedEvalsIneligibleJoin measures one node join of a class
// that none of 1,000 blocked evals can use, and reports the enqueues it
// caused per join (0).
func BenchmarkBlockedEvalsIneligibleJoin(b *testing.B) {
	var enqueued int
	blocked := NewBlockedEvals(func(*structs.Evaluation) { enqueued++ }, nil)
	blocked.SetEnabled(true)
	for i := range 1000 {
		blocked.Block(classEval(fmt.Sprintf("job-%d", i), 10, []string{"big"}, []string{"small"}, false))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		blocked.Unblock("small", uint64(20+i))
	}
	b.ReportMetric(float64(enqueued)/float64(b.N), "enqueues/op")
}

// TestBlockedEvals_MarkCapacity is what a new leader does before it
// restores blocked evals: capacity its predecessor saw appear counts for
// evals planned before it, without unblocking anything by itself.
func TestBlockedEvals_MarkCapacity(t *testing.T) {
	t.Parallel()
	b, rec := newTestBlockedEvals(t)
	b.MarkCapacity("big", 20)
	stranded := classEval("web", 15, []string{"big"}, nil, false)
	cannotUse := classEval("api", 15, nil, []string{"big"}, false)
	b.Block(stranded)
	b.Block(cannotUse)
	if ids := rec.IDs(); len(ids) != 1 || ids[0] != stranded.ID {
		t.Fatalf("enqueued %v, want only the eval that could use the capacity", ids)
	}
	if got := b.Stats().TotalBlocked; got != 1 {
		t.Fatalf("blocked = %d, want 1", got)
	}
}
