package nomadlike

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// fakeWorkerBroker hands out evaluations pushed into it and records how
// each delivery was settled.
type fakeWorkerBroker struct {
	evals chan *structs.Evaluation

	mu            sync.Mutex
	disabledCalls int // Dequeues to refuse before handing anything out
	dequeues      int
	resetErr      error
	acked, nacked []string
}

func newFakeWorkerBroker() *fakeWorkerBroker {
	return &fakeWorkerBroker{evals: make(chan *structs.Evaluation, 10)}
}

func (b *fakeWorkerBroker) Dequeue(_ []string, timeout time.Duration) (*structs.Evaluation, string, error) {
	b.mu.Lock()
	b.dequeues++
	if b.disabledCalls > 0 {
		b.disabledCalls--
		b.mu.Unlock()
		return nil, "", ErrBrokerDisabled
	}
	b.mu.Unlock()
	select {
	case e := <-b.evals:
		return e, "token-" + e.ID, nil
	case <-time.After(timeout):
		return nil, "", nil
	}
}

func (b *fakeWorkerBroker) Ack(evalID, token string) error {
	return b.settle(&b.acked, evalID, token)
}

func (b *fakeWorkerBroker) Nack(evalID, token string) error {
	return b.settle(&b.nacked, evalID, token)
}

func (b *fakeWorkerBroker) settle(into *[]string, evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if token != "token-"+evalID {
		return ErrTokenMismatch
	}
	*into = append(*into, evalID)
	return nil
}

func (b *fakeWorkerBroker) OutstandingReset(string, string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.resetErr
}

func (b *fakeWorkerBroker) settled() (acked, nacked []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.acked), slices.Clone(b.nacked)
}

// fakeScheduler runs a test's function as the scheduler.
type fakeScheduler struct {
	cfg     scheduler.Config
	process func(cfg scheduler.Config, eval *structs.Evaluation) error
}

func (s *fakeScheduler) Process(eval *structs.Evaluation) error { return s.process(s.cfg, eval) }

// workerHarness wires a Worker to fakes and records what it did.
type workerHarness struct {
	broker     *fakeWorkerBroker
	process    func(cfg scheduler.Config, eval *structs.Evaluation) error
	factoryErr error
	snapErr    error
	planResult *structs.PlanResult

	mu           sync.Mutex
	snapMinIndex []uint64
	plans        []*structs.Plan
	evalWrites   []*structs.EvalUpdateRequest
	evalTypes    []string
}

// baseIndex is the index of the harness's snapshots unless a newer one is
// asked for.
const baseIndex = 50

func (h *workerHarness) start(t *testing.T) *Worker {
	t.Helper()
	w := NewWorker(WorkerConfig{
		Logger: loopsTestLogger(t),
		Broker: h.broker,
		Snapshot: func(minIndex uint64) (scheduler.State, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.snapMinIndex = append(h.snapMinIndex, minIndex)
			if h.snapErr != nil {
				return nil, h.snapErr
			}
			return newLoopsState(max(minIndex, baseIndex)), nil
		},
		SubmitPlan: func(p *structs.Plan) (*structs.PlanResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.plans = append(h.plans, p)
			return h.planResult, nil
		},
		ApplyEvals: func(req *structs.EvalUpdateRequest) (uint64, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.evalWrites = append(h.evalWrites, req)
			return 70, nil
		},
		Factory: func(evalType string, cfg scheduler.Config) (scheduler.Scheduler, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.evalTypes = append(h.evalTypes, evalType)
			if h.factoryErr != nil {
				return nil, h.factoryErr
			}
			return &fakeScheduler{cfg: cfg, process: h.process}, nil
		},
		DequeueTimeout: 20 * time.Millisecond,
		BackoffBase:    time.Millisecond,
		BackoffLimit:   5 * time.Millisecond,
	})
	w.Start()
	t.Cleanup(w.Stop)
	return w
}

// waitSettled waits until the broker saw an ack or nack of every eval.
func (h *workerHarness) waitSettled(t *testing.T, n int) (acked, nacked []string) {
	t.Helper()
	loopsWaitFor(t, 5*time.Second, "evals to be settled", func() bool {
		a, n2 := h.broker.settled()
		return len(a)+len(n2) >= n
	})
	return h.broker.settled()
}

// planAndComplete is a scheduler that submits a plan, creates a blocked
// follow-up and completes the eval.
func planAndComplete(cfg scheduler.Config, eval *structs.Evaluation) error {
	if _, _, err := cfg.Planner.SubmitPlan(&structs.Plan{Priority: eval.Priority}); err != nil {
		return err
	}
	blocked := mock.Eval()
	blocked.Status = structs.EvalStatusBlocked
	if err := cfg.Planner.CreateEval(blocked); err != nil {
		return err
	}
	done := *eval
	done.Status = structs.EvalStatusComplete
	return cfg.Planner.UpdateEval(&done)
}

func TestWorker_ProcessesAndAcks(t *testing.T) {
	t.Parallel()
	h := &workerHarness{
		broker:     newFakeWorkerBroker(),
		process:    planAndComplete,
		planResult: &structs.PlanResult{AllocIndex: 60},
	}
	h.start(t)
	eval := mock.Eval()
	eval.Type = structs.JobTypeBatch
	eval.ModifyIndex = 42
	h.broker.evals <- eval

	acked, nacked := h.waitSettled(t, 1)
	if !slices.Equal(acked, []string{eval.ID}) || len(nacked) != 0 {
		t.Fatalf("acked %v nacked %v, want only an ack of %s", acked, nacked, eval.ID)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Equal(h.snapMinIndex, []uint64{42}) {
		t.Errorf("snapshot min indexes = %v, want [42]: state must include the eval", h.snapMinIndex)
	}
	if !slices.Equal(h.evalTypes, []string{structs.JobTypeBatch}) {
		t.Errorf("factory asked for %v, want [batch]", h.evalTypes)
	}
	if len(h.plans) != 1 {
		t.Fatalf("plans = %d, want 1", len(h.plans))
	}
	p := h.plans[0]
	if p.EvalID != eval.ID || p.EvalToken != "token-"+eval.ID || p.SnapshotIndex != baseIndex {
		t.Errorf("plan stamped with eval %q token %q snapshot %d, want %q %q %d",
			p.EvalID, p.EvalToken, p.SnapshotIndex, eval.ID, "token-"+eval.ID, baseIndex)
	}
	if len(h.evalWrites) != 2 {
		t.Fatalf("eval writes = %d, want a create and an update", len(h.evalWrites))
	}
	for _, req := range h.evalWrites {
		if req.EvalToken != "token-"+eval.ID || req.Evals[0].SnapshotIndex != baseIndex {
			t.Errorf("eval write with token %q snapshot %d, want the delivery's token and %d",
				req.EvalToken, req.Evals[0].SnapshotIndex, baseIndex)
		}
	}
}

func TestWorker_FailuresNack(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name  string
		setup func(h *workerHarness)
	}{
		{"scheduler error", func(h *workerHarness) {
			h.process = func(scheduler.Config, *structs.Evaluation) error { return boom }
		}},
		{"unknown scheduler type", func(h *workerHarness) { h.factoryErr = boom }},
		{"no snapshot", func(h *workerHarness) { h.snapErr = boom }},
		{"eval redelivered meanwhile", func(h *workerHarness) { h.broker.resetErr = ErrTokenMismatch }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &workerHarness{
				broker:     newFakeWorkerBroker(),
				process:    planAndComplete,
				planResult: &structs.PlanResult{AllocIndex: 60},
			}
			tc.setup(h)
			h.start(t)
			eval := mock.Eval()
			h.broker.evals <- eval
			acked, nacked := h.waitSettled(t, 1)
			if len(acked) != 0 || !slices.Equal(nacked, []string{eval.ID}) {
				t.Fatalf("acked %v nacked %v, want only a nack", acked, nacked)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if tc.name == "eval redelivered meanwhile" && len(h.plans) != 0 {
				t.Fatal("a worker that lost its eval still submitted a plan")
			}
		})
	}
}

func TestWorker_PartialCommitRefreshesState(t *testing.T) {
	t.Parallel()
	var refreshed scheduler.State
	h := &workerHarness{
		broker:     newFakeWorkerBroker(),
		planResult: &structs.PlanResult{AllocIndex: 0, RefreshIndex: 65},
	}
	h.process = func(cfg scheduler.Config, eval *structs.Evaluation) error {
		_, st, err := cfg.Planner.SubmitPlan(&structs.Plan{})
		if err != nil {
			return err
		}
		refreshed = st
		return cfg.Planner.UpdateEval(eval)
	}
	h.start(t)
	eval := mock.Eval()
	h.broker.evals <- eval
	if acked, _ := h.waitSettled(t, 1); len(acked) != 1 {
		t.Fatalf("eval not acked")
	}
	if refreshed == nil || refreshed.Index() < 65 {
		t.Fatalf("refreshed state = %v, want a snapshot at index 65 or later", refreshed)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if got := h.evalWrites[0].Evals[0].SnapshotIndex; got != 65 {
		t.Fatalf("eval written with snapshot index %d, want the refreshed 65", got)
	}
}

func TestWorker_RetriesWhileBrokerDisabled(t *testing.T) {
	t.Parallel()
	h := &workerHarness{broker: newFakeWorkerBroker(), process: planAndComplete,
		planResult: &structs.PlanResult{}}
	h.broker.disabledCalls = 3
	h.start(t)
	eval := mock.Eval()
	h.broker.evals <- eval
	if acked, _ := h.waitSettled(t, 1); !slices.Equal(acked, []string{eval.ID}) {
		t.Fatalf("acked %v, want the eval once the broker is enabled", acked)
	}
}

func TestWorker_PauseAndStop(t *testing.T) {
	t.Parallel()
	t.Run("stop before start", func(t *testing.T) {
		t.Parallel()
		w := NewWorker(WorkerConfig{Logger: loopsTestLogger(t), Broker: newFakeWorkerBroker()})
		stopped := make(chan struct{})
		go func() {
			w.Stop() // must not wait for a loop that never ran
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Fatal("Stop before Start blocked")
		}
	})
	t.Run("paused worker takes nothing until resumed", func(t *testing.T) {
		t.Parallel()
		h := &workerHarness{broker: newFakeWorkerBroker(), process: planAndComplete,
			planResult: &structs.PlanResult{}}
		w := h.start(t)
		w.Pause()
		// Let a Dequeue that began before Pause run out.
		<-time.After(50 * time.Millisecond)
		h.broker.mu.Lock()
		before := h.broker.dequeues
		h.broker.mu.Unlock()
		<-time.After(100 * time.Millisecond)
		h.broker.mu.Lock()
		after := h.broker.dequeues
		h.broker.mu.Unlock()
		if after != before {
			t.Fatalf("paused worker dequeued %d times", after-before)
		}

		eval := mock.Eval()
		h.broker.evals <- eval
		w.Resume()
		if acked, _ := h.waitSettled(t, 1); !slices.Equal(acked, []string{eval.ID}) {
			t.Fatalf("acked %v after resume, want the eval", acked)
		}
	})
}

// TestWorker_WithEvalBroker runs workers against the real broker: every
// evaluation is processed exactly once and nothing stays unacked.
func TestWorker_WithEvalBroker(t *testing.T) {
	t.Parallel()
	broker := newTestBroker(t, time.Minute, 3)
	var mu sync.Mutex
	seen := map[string]int{}
	h := &workerHarness{planResult: &structs.PlanResult{AllocIndex: 60}}
	h.process = func(cfg scheduler.Config, eval *structs.Evaluation) error {
		mu.Lock()
		seen[eval.ID]++
		mu.Unlock()
		return planAndComplete(cfg, eval)
	}
	for i := 0; i < 2; i++ {
		w := NewWorker(WorkerConfig{
			Logger: loopsTestLogger(t).Named(fmt.Sprint(i)),
			Broker: broker,
			Snapshot: func(minIndex uint64) (scheduler.State, error) {
				return newLoopsState(max(minIndex, baseIndex)), nil
			},
			SubmitPlan: func(*structs.Plan) (*structs.PlanResult, error) { return h.planResult, nil },
			ApplyEvals: func(*structs.EvalUpdateRequest) (uint64, error) { return 70, nil },
			Factory: func(_ string, cfg scheduler.Config) (scheduler.Scheduler, error) {
				return &fakeScheduler{cfg: cfg, process: h.process}, nil
			},
			DequeueTimeout: 20 * time.Millisecond,
		})
		w.Start()
		t.Cleanup(w.Stop)
	}

	const n = 20
	for i := 0; i < n; i++ {
		broker.Enqueue(evalWith(fmt.Sprintf("job-%d", i), 50))
	}
	loopsWaitFor(t, 10*time.Second, "all evals processed", func() bool {
		s := broker.Stats()
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == n && s.TotalReady == 0 && s.TotalUnacked == 0 && s.TotalPending == 0
	})
	mu.Lock()
	defer mu.Unlock()
	for id, count := range seen {
		if count != 1 {
			t.Errorf("eval %s processed %d times, want once", id, count)
		}
	}
}
