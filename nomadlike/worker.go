package nomadlike

// A worker turns evaluations into plans: it takes an evaluation from the
// eval broker, runs the scheduler on a state snapshot, and acts for the
// scheduler as its Planner (plans to the plan queue, evaluation updates to
// Raft). Exported API:
//
//	NewWorker(cfg WorkerConfig) *Worker
//	(*Worker).Start() / Stop()
//	(*Worker).Pause() / Resume()
//	(*Worker).EvalsAcked() uint64
//	DefaultWorkerSchedulers []string
//
// A server runs several workers; each handles one evaluation at a time.

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	metrics "github.com/hashicorp/go-metrics"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// DefaultWorkerSchedulers are the evaluation types a worker handles
// unless configured otherwise.
var DefaultWorkerSchedulers = []string{
	structs.JobTypeService, structs.JobTypeBatch, structs.JobTypeSystem, structs.JobTypeSysBatch,
}

const (
	defaultWorkerDequeueTimeout = 500 * time.Millisecond
	// The backoff limit is low because a worker that started before its
	// server won leadership would otherwise sit out the first evaluations.
	defaultWorkerBackoffBase  = 20 * time.Millisecond
	defaultWorkerBackoffLimit = 250 * time.Millisecond
)

// WorkerBroker is the part of the eval broker a worker uses; the leader's
// *EvalBroker, or an RPC client of it on other servers.
type WorkerBroker interface {
	// Dequeue returns a nil evaluation on timeout and an error (such as
	// ErrBrokerDisabled) when no broker is available.
	Dequeue(schedulers []string, timeout time.Duration) (*structs.Evaluation, string, error)
	Ack(evalID, token string) error
	Nack(evalID, token string) error
	OutstandingReset(evalID, token string) error
}

var _ WorkerBroker = (*EvalBroker)(nil)

// WorkerConfig is what a worker needs. Every function may be called from
// the worker's goroutine while other workers call it too.
type WorkerConfig struct {
	Logger hclog.Logger
	Broker WorkerBroker
	// Schedulers are the evaluation types to dequeue; empty means
	// DefaultWorkerSchedulers.
	Schedulers []string
	// Snapshot returns state at least as new as minIndex, waiting for the
	// local FSM to catch up (with its own time limit).
	Snapshot func(minIndex uint64) (scheduler.State, error)
	// SubmitPlan hands a plan to the leader's plan queue and waits for the
	// applier's answer.
	SubmitPlan func(*structs.Plan) (*structs.PlanResult, error)
	// ApplyEvals writes evaluations through Raft and returns the index.
	ApplyEvals func(*structs.EvalUpdateRequest) (uint64, error)
	// CreateEvals writes the new evaluations a scheduler makes (blocked
	// and follow-up ones); nil means ApplyEvals. The leader checks them
	// differently: they must not exist yet, and the token is their
	// PreviousEval's.
	CreateEvals func(*structs.EvalUpdateRequest) (uint64, error)
	Factory     scheduler.Factory
	// Now is the schedulers' clock; nil means time.Now.
	Now func() time.Time

	// DequeueTimeout bounds one Dequeue, and so how long Stop waits for
	// an idle worker. Zero means 500ms.
	DequeueTimeout time.Duration
	// BackoffBase and BackoffLimit space out retries while the broker
	// fails (not leader yet). Zero means 20ms and 250ms.
	BackoffBase  time.Duration
	BackoffLimit time.Duration
}

// Worker processes evaluations in one goroutine.
type Worker struct {
	cfg    WorkerConfig
	logger hclog.Logger

	startOnce sync.Once
	stopOnce  sync.Once
	stopCh    chan struct{}
	doneCh    chan struct{}

	pauseMu  sync.Mutex
	resumeCh chan struct{} // non-nil while paused; closed by Resume

	// acked counts the evaluations this worker finished, so operators
	// and tests can see which servers do the scheduling.
	acked atomic.Uint64
}

// NewWorker returns a worker; Start runs it.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if len(cfg.Schedulers) == 0 {
		cfg.Schedulers = DefaultWorkerSchedulers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CreateEvals == nil {
		cfg.CreateEvals = cfg.ApplyEvals
	}
	if cfg.DequeueTimeout <= 0 {
		cfg.DequeueTimeout = defaultWorkerDequeueTimeout
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = defaultWorkerBackoffBase
	}
	if cfg.BackoffLimit <= 0 {
		cfg.BackoffLimit = defaultWorkerBackoffLimit
	}
	return &Worker{
		cfg:    cfg,
		logger: cfg.Logger.Named("worker"),
		stopCh: make(chan struct{}),
		doneCh: make(chan struct{}),
	}
}

// Start runs the worker's loop in a new goroutine. Calls after the first
// do nothing.
func (w *Worker) Start() {
	w.startOnce.Do(func() { go w.run() })
}

// Stop ends the loop and waits for the evaluation in hand, if any, to
// finish. It is safe to call more than once, and before Start.
func (w *Worker) Stop() {
	w.stopOnce.Do(func() { close(w.stopCh) })
	started := true
	w.startOnce.Do(func() { started = false })
	if started {
		<-w.doneCh
	}
}

// Pause makes the worker stop taking evaluations after the current one,
// so the leader can give its CPU to the plan applier.
func (w *Worker) Pause() {
	w.pauseMu.Lock()
	defer w.pauseMu.Unlock()
	if w.resumeCh == nil {
		w.resumeCh = make(chan struct{})
	}
}

// Resume undoes Pause.
func (w *Worker) Resume() {
	w.pauseMu.Lock()
	defer w.pauseMu.Unlock()
	if w.resumeCh != nil {
		close(w.resumeCh)
		w.resumeCh = nil
	}
}

// waitResumed blocks while paused and reports false once stopped.
func (w *Worker) waitResumed() bool {
	w.pauseMu.Lock()
	resume := w.resumeCh
	w.pauseMu.Unlock()
	if resume == nil {
		resume = workerNotPausedCh
	}
	select {
	case <-w.stopCh:
		return false
	case <-resume:
		return true
	}
}

var workerNotPausedCh = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (w *Worker) run() {
	defer close(w.doneCh)
	var backoff time.Duration
	for w.waitResumed() {
		start := time.Now()
		eval, token, err := w.cfg.Broker.Dequeue(w.cfg.Schedulers, w.cfg.DequeueTimeout)
		if err != nil {
			backoff = min(max(2*backoff, w.cfg.BackoffBase), w.cfg.BackoffLimit)
			if errors.Is(err, ErrBrokerDisabled) {
				w.logger.Trace("broker disabled, backing off", "backoff", backoff)
			} else {
				w.logger.Warn("failed to dequeue evaluation", "error", err, "backoff", backoff)
			}
			select {
			case <-w.stopCh:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		if eval == nil {
			continue
		}
		metrics.MeasureSince([]string{"worker", "dequeue_eval"}, start)
		w.process(eval, token)
	}
}

// process runs one evaluation and settles it with the broker: Ack when the
// scheduler finished, Nack so it is retried when anything failed.
func (w *Worker) process(eval *structs.Evaluation, token string) {
	logger := w.logger.With("eval_id", eval.ID, "job_id", eval.JobID, "eval_type", eval.Type)
	if err := w.invoke(eval, token, logger); err != nil {
		logger.Error("evaluation failed, nacking", "error", err)
		if err := w.cfg.Broker.Nack(eval.ID, token); err != nil {
			logger.Warn("failed to nack evaluation", "error", err)
		}
		return
	}
	if err := w.cfg.Broker.Ack(eval.ID, token); err != nil {
		logger.Warn("failed to ack evaluation", "error", err)
		return
	}
	w.acked.Add(1)
}

// EvalsAcked is how many evaluations the worker has finished and acked.
func (w *Worker) EvalsAcked() uint64 {
	return w.acked.Load()
}

func (w *Worker) invoke(eval *structs.Evaluation, token string, logger hclog.Logger) error {
	snap, err := w.cfg.Snapshot(eval.ModifyIndex)
	if err != nil {
		return fmt.Errorf("snapshot at index %d: %w", eval.ModifyIndex, err)
	}
	planner := &evalPlanner{cfg: &w.cfg, eval: eval, token: token, snapIndex: snap.Index(), logger: logger}
	sched, err := w.cfg.Factory(eval.Type, scheduler.Config{
		Logger:  logger,
		State:   snap,
		Planner: planner,
		Now:     w.cfg.Now,
	})
	if err != nil {
		return fmt.Errorf("build %q scheduler: %w", eval.Type, err)
	}
	start := time.Now()
	err = sched.Process(eval)
	metrics.MeasureSinceWithLabels([]string{"worker", "invoke_scheduler"}, start,
		[]metrics.Label{{Name: "type", Value: eval.Type}})
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	return nil
}

// evalPlanner is the scheduler.Planner for one evaluation: it knows the
// delivery token and the index of the state the scheduler is looking at.
type evalPlanner struct {
	cfg       *WorkerConfig
	eval      *structs.Evaluation
	token     string
	snapIndex uint64
	logger    hclog.Logger
}

var _ scheduler.Planner = (*evalPlanner)(nil)

// SubmitPlan implements scheduler.Planner.
func (p *evalPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	plan.EvalID = p.eval.ID
	plan.EvalToken = p.token
	plan.SnapshotIndex = p.snapIndex
	// The applier may take a while; the broker must not hand the
	// evaluation to another worker meanwhile. If it already did, this
	// worker's plan is stale and must not be committed.
	if err := p.cfg.Broker.OutstandingReset(p.eval.ID, p.token); err != nil {
		return nil, nil, fmt.Errorf("submit plan: %w", err)
	}

	start := time.Now()
	result, err := p.cfg.SubmitPlan(plan)
	metrics.MeasureSince([]string{"worker", "submit_plan"}, start)
	if err != nil {
		return nil, nil, fmt.Errorf("submit plan: %w", err)
	}
	if result.RefreshIndex == 0 {
		return result, nil, nil
	}

	minIndex := max(result.RefreshIndex, result.AllocIndex)
	p.logger.Debug("plan partially committed, refreshing state", "refresh_index", minIndex)
	snap, err := p.cfg.Snapshot(minIndex)
	if err != nil {
		return nil, nil, fmt.Errorf("refresh state at index %d: %w", minIndex, err)
	}
	p.snapIndex = snap.Index()
	return result, snap, nil
}

// UpdateEval implements scheduler.Planner.
func (p *evalPlanner) UpdateEval(eval *structs.Evaluation) error {
	if err := p.writeEval(eval, p.cfg.ApplyEvals, "update_eval"); err != nil {
		return fmt.Errorf("update eval: %w", err)
	}
	return nil
}

// CreateEval implements scheduler.Planner.
func (p *evalPlanner) CreateEval(eval *structs.Evaluation) error {
	if err := p.writeEval(eval, p.cfg.CreateEvals, "create_eval"); err != nil {
		return fmt.Errorf("create eval: %w", err)
	}
	return nil
}

// writeEval stamps eval with the snapshot index it was decided on (a
// blocked evaluation uses it to see whether capacity has changed since)
// and writes it through Raft under this delivery's token.
func (p *evalPlanner) writeEval(eval *structs.Evaluation, write func(*structs.EvalUpdateRequest) (uint64, error), metric string) error {
	eval.SnapshotIndex = p.snapIndex
	if err := p.cfg.Broker.OutstandingReset(p.eval.ID, p.token); err != nil {
		return err
	}
	start := time.Now()
	_, err := write(&structs.EvalUpdateRequest{
		Evals:     []*structs.Evaluation{eval},
		EvalToken: p.token,
	})
	metrics.MeasureSince([]string{"worker", metric}, start)
	return err
}
