package nomadlike

// The eval broker hands evaluations from the leader to scheduler workers
// with at-least-once delivery. Exported API:
//
//	NewEvalBroker(nackTimeout time.Duration, deliveryLimit int) *EvalBroker
//	(*EvalBroker).SetNackDelays(initial, subsequent time.Duration)
//	(*EvalBroker).SetClock(c Clock)
//	(*EvalBroker).SetEnabled(enabled bool) / Enabled() bool
//	(*EvalBroker).Enqueue(eval *structs.Evaluation)
//	(*EvalBroker).EnqueueAll(evals map[*structs.Evaluation]string)
//	(*EvalBroker).Dequeue(schedulers []string, timeout time.Duration) (*structs.Evaluation, string, error)
//	(*EvalBroker).Ack(evalID, token string) error
//	(*EvalBroker).Nack(evalID, token string) error
//	(*EvalBroker).OutstandingReset(evalID, token string) error
//	(*EvalBroker).Outstanding(evalID string) (token string, ok bool)
//	(*EvalBroker).Cancelable(max int) []*structs.Evaluation
//	(*EvalBroker).CancelableCh() <-chan struct{}
//	(*EvalBroker).Stats() *BrokerStats
//	(*EvalBroker).EmitStats(period time.Duration, stopCh <-chan struct{})
//
// An evaluation delivered deliveryLimit times without an Ack lands in the
// FailedQueue; the leader takes it with Dequeue([]string{FailedQueue}, ...),
// marks it failed in state and Acks it. Superseded evaluations are collected
// for the leader through Cancelable, signalled on CancelableCh.

import (
	"container/heap"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	metrics "github.com/hashicorp/go-metrics"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// FailedQueue is the pseudo scheduler type of evaluations that exhausted
// their delivery limit.
const FailedQueue = "_failed"

const (
	// DefaultEvalNackTimeout is how long a worker may hold an evaluation
	// without Ack or OutstandingReset before it is redelivered.
	DefaultEvalNackTimeout = 60 * time.Second
	// DefaultEvalDeliveryLimit is how many deliveries an evaluation gets
	// before it is handed to the FailedQueue.
	DefaultEvalDeliveryLimit = 3
	// DefaultEvalNackInitialDelay and DefaultEvalNackSubsequentDelay space
	// out redeliveries so a scheduler error caused by state that is still
	// catching up has a chance to resolve itself.
	DefaultEvalNackInitialDelay    = 1 * time.Second
	DefaultEvalNackSubsequentDelay = 20 * time.Second
)

var (
	// ErrBrokerDisabled is returned by Dequeue on a broker that is not the
	// leader's: workers back off and retry.
	ErrBrokerDisabled = errors.New("eval broker disabled")
	// ErrNotOutstanding means the evaluation is not held by any worker,
	// typically because its nack timeout already expired.
	ErrNotOutstanding = errors.New("evaluation is not outstanding")
	// ErrTokenMismatch means the evaluation was redelivered to another
	// worker: the caller no longer owns it.
	ErrTokenMismatch = errors.New("evaluation token does not match")
)

// Clock is the broker's source of wall-clock time for evaluations with a
// WaitUntil. Tests pass a fake to make delays deterministic.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock reaches t.
	At(t time.Time) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                  { return time.Now() }
func (systemClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

// brokerJobKey identifies a job across namespaces.
type brokerJobKey struct{ namespace, id string }

func evalJobKey(e *structs.Evaluation) brokerJobKey { return brokerJobKey{e.Namespace, e.JobID} }

// brokerItem is an evaluation with its arrival order, which breaks ties
// between equal priorities (FIFO) and between equal create indexes.
type brokerItem struct {
	eval *structs.Evaluation
	seq  uint64
}

// readyHeap orders by priority, highest first, then arrival.
type readyHeap []brokerItem

func (h readyHeap) Len() int           { return len(h) }
func (h readyHeap) Less(i, j int) bool { return readyBefore(h[i], h[j]) }
func (h readyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)        { *h = append(*h, x.(brokerItem)) }
func (h *readyHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// delayHeap orders by WaitUntil, earliest first.
type delayHeap []brokerItem

func (h delayHeap) Len() int { return len(h) }
func (h delayHeap) Less(i, j int) bool {
	if !h[i].eval.WaitUntil.Equal(h[j].eval.WaitUntil) {
		return h[i].eval.WaitUntil.Before(h[j].eval.WaitUntil)
	}
	return h[i].seq < h[j].seq
}
func (h delayHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)   { *h = append(*h, x.(brokerItem)) }
func (h *delayHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// unackedEval is an evaluation held by a worker.
type unackedEval struct {
	eval  *structs.Evaluation
	token string
	// deadline lets a nack timer that fired just before OutstandingReset
	// recognise that it is stale.
	deadline time.Time
	timer    *time.Timer
}

// nackWaiter is an evaluation sitting out its nack delay.
type nackWaiter struct {
	eval  *structs.Evaluation
	timer *time.Timer
}

// BrokerStats is a point-in-time view of the broker's queues.
type BrokerStats struct {
	TotalReady   int
	TotalUnacked int
	// TotalPending counts evaluations waiting because another evaluation
	// of the same job is ready or in flight.
	TotalPending int
	// TotalDelayed counts evaluations whose WaitUntil is in the future.
	TotalDelayed int
	// TotalWaiting counts nacked evaluations sitting out the nack delay.
	TotalWaiting    int
	TotalCancelable int
	ByScheduler     map[string]*SchedulerStats
}

// SchedulerStats counts one scheduler type's evaluations.
type SchedulerStats struct {
	Ready   int
	Unacked int
}

// EvalBroker is the leader's queue of evaluations. It is safe for
// concurrent use; only the leader's broker is enabled.
type EvalBroker struct {
	nackTimeout   time.Duration
	deliveryLimit int

	mu                  sync.Mutex
	enabled             bool
	initialNackDelay    time.Duration
	subsequentNackDelay time.Duration
	clock               Clock
	seq                 uint64

	// deliveries holds every evaluation the broker tracks, in any state,
	// with how many times it was dequeued.
	deliveries map[string]int
	// inFlight holds, per job, the one evaluation that is ready, unacked,
	// waiting out a nack delay or failed: the others wait in pending.
	inFlight map[brokerJobKey]string
	// pending holds the newest evaluation waiting behind inFlight; older
	// ones are superseded and handed out through Cancelable.
	pending  map[brokerJobKey]brokerItem
	ready    map[string]*readyHeap
	unacked  map[string]*unackedEval
	nackWait map[string]*nackWaiter
	delayed  delayHeap
	// requeue holds evaluations re-enqueued while a worker holds them, by
	// token: released on Ack, dropped on Nack.
	requeue map[string]*structs.Evaluation
	cancel  cancelBacklog

	// readyCh is closed and replaced whenever a ready queue gains an
	// evaluation or the broker is disabled, to wake blocked Dequeues.
	readyCh chan struct{}
	// delayCh wakes the delayed-evaluation loop when the heap changes.
	// Each enabled period has its own loop and channel, so a loop that is
	// still exiting cannot swallow a wake-up meant for its successor.
	delayCh   chan struct{}
	stopDelay chan struct{}
}

// NewEvalBroker returns a disabled broker. nackTimeout bounds how long a
// worker may hold an evaluation silently; deliveryLimit is how many
// deliveries an evaluation gets before it goes to the FailedQueue.
func NewEvalBroker(nackTimeout time.Duration, deliveryLimit int) *EvalBroker {
	if deliveryLimit < 1 {
		deliveryLimit = 1
	}
	b := &EvalBroker{
		nackTimeout:         nackTimeout,
		deliveryLimit:       deliveryLimit,
		initialNackDelay:    DefaultEvalNackInitialDelay,
		subsequentNackDelay: DefaultEvalNackSubsequentDelay,
		clock:               systemClock{},
		cancel:              newCancelBacklog(),
		readyCh:             make(chan struct{}),
	}
	b.resetLocked()
	return b
}

// SetNackDelays sets how long a nacked evaluation waits before it is ready
// again: initial after its first delivery, subsequent after later ones.
func (b *EvalBroker) SetNackDelays(initial, subsequent time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.initialNackDelay, b.subsequentNackDelay = initial, subsequent
}

// SetClock replaces the clock used for WaitUntil. Call it before enabling.
func (b *EvalBroker) SetClock(c Clock) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clock = c
}

func (b *EvalBroker) resetLocked() {
	b.deliveries = make(map[string]int)
	b.inFlight = make(map[brokerJobKey]string)
	b.pending = make(map[brokerJobKey]brokerItem)
	b.ready = make(map[string]*readyHeap)
	b.unacked = make(map[string]*unackedEval)
	b.nackWait = make(map[string]*nackWaiter)
	b.delayed = nil
	b.requeue = make(map[string]*structs.Evaluation)
	b.cancel.reset()
}

// Enabled reports whether the broker accepts and hands out evaluations.
func (b *EvalBroker) Enabled() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.enabled
}

// SetEnabled turns the broker on when this server becomes leader and off
// when it steps down. Disabling drops every evaluation: the next leader
// rebuilds its broker from the state store.
func (b *EvalBroker) SetEnabled(enabled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if enabled == b.enabled {
		return
	}
	b.enabled = enabled
	if enabled {
		b.stopDelay = make(chan struct{})
		b.delayCh = make(chan struct{}, 1)
		go b.runDelayed(b.stopDelay, b.delayCh)
		return
	}
	close(b.stopDelay)
	for _, u := range b.unacked {
		u.timer.Stop()
	}
	for _, w := range b.nackWait {
		w.timer.Stop()
	}
	b.resetLocked()
	b.wakeDequeuersLocked()
}

// Enqueue adds an evaluation. Evaluations the broker already tracks are
// ignored, as are all evaluations while the broker is disabled.
func (b *EvalBroker) Enqueue(eval *structs.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enqueueLocked(eval)
}

// EnqueueAll adds evaluations, each with the token of the delivery that
// re-enqueues it, or "". An evaluation still held under that token (a
// worker's own evaluation written back to state) is not made ready until
// the worker Acks it, and is dropped if the worker Nacks it.
func (b *EvalBroker) EnqueueAll(evals map[*structs.Evaluation]string) {
	ordered := make([]*structs.Evaluation, 0, len(evals))
	for e := range evals {
		ordered = append(ordered, e)
	}
	// Map order is random; arrival order decides FIFO ties.
	sort.Slice(ordered, func(i, j int) bool {
		if ordered[i].CreateIndex != ordered[j].CreateIndex {
			return ordered[i].CreateIndex < ordered[j].CreateIndex
		}
		return ordered[i].ID < ordered[j].ID
	})

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range ordered {
		token := evals[e]
		if u, ok := b.unacked[e.ID]; ok && token != "" && u.token == token {
			b.requeue[token] = e
			continue
		}
		b.enqueueLocked(e)
	}
}

func (b *EvalBroker) enqueueLocked(eval *structs.Evaluation) {
	if !b.enabled {
		return
	}
	if _, ok := b.deliveries[eval.ID]; ok {
		return
	}
	b.deliveries[eval.ID] = 0
	if eval.WaitUntil.After(b.clock.Now()) {
		b.seq++
		heap.Push(&b.delayed, brokerItem{eval: eval, seq: b.seq})
		select {
		case b.delayCh <- struct{}{}:
		default:
		}
		return
	}
	b.enqueueReadyLocked(eval)
}

// enqueueReadyLocked makes eval ready unless its job already has an
// evaluation in flight, in which case it waits, superseding older waiters.
func (b *EvalBroker) enqueueReadyLocked(eval *structs.Evaluation) {
	if eval.JobID == "" {
		b.pushReadyLocked(eval.Type, eval)
		return
	}
	key := evalJobKey(eval)
	if cur, busy := b.inFlight[key]; !busy || cur == eval.ID {
		b.inFlight[key] = eval.ID
		b.pushReadyLocked(eval.Type, eval)
		return
	}
	b.seq++
	item := brokerItem{eval: eval, seq: b.seq}
	old, ok := b.pending[key]
	switch {
	case !ok:
		b.pending[key] = item
	case newerEval(item, old):
		b.pending[key] = item
		b.cancelLocked(old.eval)
	default:
		b.cancelLocked(eval)
	}
}

// newerEval reports whether a was created after b. Both would make the
// scheduler look at the same job against the newest state, so only the
// newest needs to run.
func newerEval(a, b brokerItem) bool {
	if a.eval.CreateIndex != b.eval.CreateIndex {
		return a.eval.CreateIndex > b.eval.CreateIndex
	}
	return a.seq > b.seq
}

func (b *EvalBroker) cancelLocked(eval *structs.Evaluation) {
	delete(b.deliveries, eval.ID)
	b.cancel.push(eval)
}

func (b *EvalBroker) pushReadyLocked(queue string, eval *structs.Evaluation) {
	h, ok := b.ready[queue]
	if !ok {
		h = &readyHeap{}
		b.ready[queue] = h
	}
	b.seq++
	heap.Push(h, brokerItem{eval: eval, seq: b.seq})
	b.wakeDequeuersLocked()
}

func (b *EvalBroker) wakeDequeuersLocked() {
	close(b.readyCh)
	b.readyCh = make(chan struct{})
}

// Dequeue hands out the highest-priority ready evaluation of the given
// scheduler types, oldest first within a priority, with the token that
// Ack, Nack and OutstandingReset need. It blocks until one is ready or
// timeout passes (0 waits indefinitely), returning a nil evaluation on
// timeout and ErrBrokerDisabled when the broker is or becomes disabled.
func (b *EvalBroker) Dequeue(schedulers []string, timeout time.Duration) (*structs.Evaluation, string, error) {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		b.mu.Lock()
		if !b.enabled {
			b.mu.Unlock()
			return nil, "", ErrBrokerDisabled
		}
		if eval, token, ok := b.dequeueLocked(schedulers); ok {
			b.mu.Unlock()
			return eval, token, nil
		}
		wake := b.readyCh
		b.mu.Unlock()

		select {
		case <-wake:
		case <-expired:
			return nil, "", nil
		}
	}
}

func (b *EvalBroker) dequeueLocked(schedulers []string) (*structs.Evaluation, string, bool) {
	var best *readyHeap
	for _, s := range schedulers {
		h := b.ready[s]
		if h == nil || h.Len() == 0 {
			continue
		}
		if best == nil || readyBefore((*h)[0], (*best)[0]) {
			best = h
		}
	}
	if best == nil {
		return nil, "", false
	}
	eval := heap.Pop(best).(brokerItem).eval
	token := uuid.NewString()
	b.deliveries[eval.ID]++
	u := &unackedEval{eval: eval, token: token, deadline: time.Now().Add(b.nackTimeout)}
	u.timer = time.AfterFunc(b.nackTimeout, func() { b.nackExpired(u) })
	b.unacked[eval.ID] = u
	return eval, token, true
}

// readyBefore orders ready evaluations within a queue, and the heads of
// different queues against each other.
func readyBefore(a, b brokerItem) bool {
	if a.eval.Priority != b.eval.Priority {
		return a.eval.Priority > b.eval.Priority
	}
	return a.seq < b.seq
}

// nackExpired redelivers an evaluation whose worker went silent.
func (b *EvalBroker) nackExpired(u *unackedEval) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unacked[u.eval.ID] != u || time.Now().Before(u.deadline) {
		return
	}
	b.nackLocked(u)
}

// Outstanding returns the token of the delivery holding evalID.
func (b *EvalBroker) Outstanding(evalID string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.unacked[evalID]
	if !ok {
		return "", false
	}
	return u.token, true
}

// OutstandingReset restarts the nack timeout of a held evaluation, for a
// worker whose scheduler is still busy with it.
func (b *EvalBroker) OutstandingReset(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.heldLocked(evalID, token)
	if err != nil {
		return err
	}
	u.deadline = time.Now().Add(b.nackTimeout)
	u.timer.Reset(b.nackTimeout)
	return nil
}

func (b *EvalBroker) heldLocked(evalID, token string) (*unackedEval, error) {
	u, ok := b.unacked[evalID]
	if !ok {
		return nil, fmt.Errorf("eval %s: %w", evalID, ErrNotOutstanding)
	}
	if u.token != token {
		return nil, fmt.Errorf("eval %s: %w", evalID, ErrTokenMismatch)
	}
	return u, nil
}

// Ack completes a delivery: the evaluation is forgotten and the next
// evaluation of its job, if any, becomes ready.
func (b *EvalBroker) Ack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.heldLocked(evalID, token)
	if err != nil {
		return err
	}
	u.timer.Stop()
	delete(b.unacked, evalID)
	delete(b.deliveries, evalID)

	if u.eval.JobID != "" {
		key := evalJobKey(u.eval)
		if b.inFlight[key] == evalID {
			delete(b.inFlight, key)
		}
		if p, ok := b.pending[key]; ok {
			delete(b.pending, key)
			b.enqueueReadyLocked(p.eval)
		}
	}
	if r, ok := b.requeue[token]; ok {
		delete(b.requeue, token)
		b.enqueueLocked(r)
	}
	return nil
}

// Nack returns a delivery unfinished: the evaluation is ready again after
// the nack delay, or goes to the FailedQueue once its deliveries reach the
// limit.
func (b *EvalBroker) Nack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.heldLocked(evalID, token)
	if err != nil {
		return err
	}
	b.nackLocked(u)
	return nil
}

func (b *EvalBroker) nackLocked(u *unackedEval) {
	u.timer.Stop()
	id := u.eval.ID
	delete(b.unacked, id)
	// Whatever the failed scheduler run wrote back is void.
	delete(b.requeue, u.token)

	count := b.deliveries[id]
	if count >= b.deliveryLimit {
		b.pushReadyLocked(FailedQueue, u.eval)
		return
	}
	delay := b.subsequentNackDelay
	if count <= 1 {
		delay = b.initialNackDelay
	}
	if delay <= 0 {
		b.pushReadyLocked(u.eval.Type, u.eval)
		return
	}
	w := &nackWaiter{eval: u.eval}
	w.timer = time.AfterFunc(delay, func() { b.nackDelayDone(w) })
	b.nackWait[id] = w
}

func (b *EvalBroker) nackDelayDone(w *nackWaiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nackWait[w.eval.ID] != w {
		return
	}
	delete(b.nackWait, w.eval.ID)
	b.pushReadyLocked(w.eval.Type, w.eval)
}

// runDelayed moves evaluations from the delay heap to the ready queues as
// their WaitUntil passes, until stop is closed.
func (b *EvalBroker) runDelayed(stop, wake chan struct{}) {
	for {
		b.mu.Lock()
		select {
		case <-stop:
			b.mu.Unlock()
			return
		default:
		}
		clock := b.clock
		now := clock.Now()
		for b.delayed.Len() > 0 && !b.delayed[0].eval.WaitUntil.After(now) {
			it := heap.Pop(&b.delayed).(brokerItem)
			b.enqueueReadyLocked(it.eval)
		}
		var due <-chan time.Time
		if b.delayed.Len() > 0 {
			due = clock.At(b.delayed[0].eval.WaitUntil)
		}
		b.mu.Unlock()

		select {
		case <-stop:
			return
		case <-due:
		case <-wake:
		}
	}
}

// Cancelable takes up to max superseded evaluations (all when max <= 0),
// for the leader to mark canceled in state.
func (b *EvalBroker) Cancelable(max int) []*structs.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cancel.take(max)
}

// CancelableCh receives when Cancelable has something to take.
func (b *EvalBroker) CancelableCh() <-chan struct{} { return b.cancel.ready }

// Stats returns a snapshot of the broker's counts.
func (b *EvalBroker) Stats() *BrokerStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &BrokerStats{
		TotalUnacked:    len(b.unacked),
		TotalPending:    len(b.pending),
		TotalDelayed:    b.delayed.Len(),
		TotalWaiting:    len(b.nackWait),
		TotalCancelable: b.cancel.len(),
		ByScheduler:     make(map[string]*SchedulerStats),
	}
	sched := func(name string) *SchedulerStats {
		st, ok := s.ByScheduler[name]
		if !ok {
			st = &SchedulerStats{}
			s.ByScheduler[name] = st
		}
		return st
	}
	for name, h := range b.ready {
		sched(name).Ready += h.Len()
		s.TotalReady += h.Len()
	}
	for _, u := range b.unacked {
		sched(u.eval.Type).Unacked++
	}
	return s
}

// EmitStats publishes the broker's counts as go-metrics gauges every
// period until stopCh is closed.
func (b *EvalBroker) EmitStats(period time.Duration, stopCh <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-t.C:
		}
		s := b.Stats()
		metrics.SetGauge([]string{"broker", "total_ready"}, float32(s.TotalReady))
		metrics.SetGauge([]string{"broker", "total_unacked"}, float32(s.TotalUnacked))
		metrics.SetGauge([]string{"broker", "total_pending"}, float32(s.TotalPending))
		metrics.SetGauge([]string{"broker", "total_delayed"}, float32(s.TotalDelayed))
		metrics.SetGauge([]string{"broker", "total_waiting"}, float32(s.TotalWaiting))
		for name, st := range s.ByScheduler {
			labels := []metrics.Label{{Name: "scheduler", Value: name}}
			metrics.SetGaugeWithLabels([]string{"broker", "ready"}, float32(st.Ready), labels)
			metrics.SetGaugeWithLabels([]string{"broker", "unacked"}, float32(st.Unacked), labels)
		}
	}
}
