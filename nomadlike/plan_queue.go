package nomadlike

// The plan queue carries plans from workers to the leader's single plan
// applier, so that plans are checked and committed one at a time against
// the newest state. Exported API:
//
//	NewPlanQueue() *PlanQueue
//	(*PlanQueue).SetEnabled(enabled bool) / Enabled() bool
//	(*PlanQueue).Enqueue(plan *structs.Plan) (PlanFuture, error)
//	(*PlanQueue).Dequeue(timeout time.Duration) (*PendingPlan, error)
//	(*PlanQueue).Stats() *PlanQueueStats
//	(*PlanQueue).EmitStats(period time.Duration, stopCh <-chan struct{})
//	PlanFuture.Wait() (*structs.PlanResult, error)
//	(*PendingPlan).Respond(result *structs.PlanResult, err error)

import (
	"container/heap"
	"errors"
	"sync"
	"time"

	metrics "github.com/hashicorp/go-metrics"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// ErrPlanQueueDisabled is returned when this server's plan queue is not
// the leader's, and to plans still queued when leadership is lost.
var ErrPlanQueueDisabled = errors.New("plan queue is disabled")

// PlanFuture is a submitted plan's eventual result.
type PlanFuture interface {
	// Wait blocks until the applier answers: the committed (possibly
	// partial) result, or the error that kept the plan from committing.
	Wait() (*structs.PlanResult, error)
}

// PendingPlan is a plan in the queue, answered by the applier.
type PendingPlan struct {
	Plan        *structs.Plan
	EnqueueTime time.Time

	seq    uint64
	once   sync.Once
	done   chan struct{}
	result *structs.PlanResult
	err    error
}

var _ PlanFuture = (*PendingPlan)(nil)

// Wait implements PlanFuture.
func (p *PendingPlan) Wait() (*structs.PlanResult, error) {
	<-p.done
	return p.result, p.err
}

// Respond answers the plan's submitter; only the first answer counts.
func (p *PendingPlan) Respond(result *structs.PlanResult, err error) {
	p.once.Do(func() {
		p.result, p.err = result, err
		close(p.done)
	})
}

// planHeap orders by priority, highest first, then arrival.
type planHeap []*PendingPlan

func (h planHeap) Len() int { return len(h) }
func (h planHeap) Less(i, j int) bool {
	if h[i].Plan.Priority != h[j].Plan.Priority {
		return h[i].Plan.Priority > h[j].Plan.Priority
	}
	return h[i].seq < h[j].seq
}
func (h planHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *planHeap) Push(x any)   { *h = append(*h, x.(*PendingPlan)) }
func (h *planHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return p
}

// PlanQueueStats counts queued plans.
type PlanQueueStats struct {
	Depth int
}

// PlanQueue is a priority queue of plans. It is safe for concurrent use.
type PlanQueue struct {
	mu      sync.Mutex
	enabled bool
	plans   planHeap
	seq     uint64
	// readyCh is closed and replaced when a plan arrives or the queue is
	// disabled, to wake a blocked Dequeue.
	readyCh chan struct{}
}

// NewPlanQueue returns a disabled queue.
func NewPlanQueue() *PlanQueue {
	return &PlanQueue{readyCh: make(chan struct{})}
}

// Enabled reports whether the queue accepts plans.
func (q *PlanQueue) Enabled() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.enabled
}

// SetEnabled turns the queue on for the leader. Disabling answers every
// queued plan with ErrPlanQueueDisabled, so no worker waits forever on a
// server that lost leadership.
func (q *PlanQueue) SetEnabled(enabled bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enabled = enabled
	if enabled {
		return
	}
	for _, p := range q.plans {
		p.Respond(nil, ErrPlanQueueDisabled)
	}
	q.plans = nil
	q.wakeLocked()
}

func (q *PlanQueue) wakeLocked() {
	close(q.readyCh)
	q.readyCh = make(chan struct{})
}

// Enqueue queues a plan for the applier.
func (q *PlanQueue) Enqueue(plan *structs.Plan) (PlanFuture, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.enabled {
		return nil, ErrPlanQueueDisabled
	}
	q.seq++
	p := &PendingPlan{Plan: plan, EnqueueTime: time.Now(), seq: q.seq, done: make(chan struct{})}
	heap.Push(&q.plans, p)
	q.wakeLocked()
	return p, nil
}

// Dequeue takes the highest-priority plan, oldest first within a priority,
// blocking until one arrives or timeout passes (0 waits indefinitely). It
// returns nil on timeout and ErrPlanQueueDisabled when the queue is or
// becomes disabled.
func (q *PlanQueue) Dequeue(timeout time.Duration) (*PendingPlan, error) {
	return q.dequeue(timeout, nil)
}

// dequeue is Dequeue that also gives up, returning nil, when stopCh closes.
func (q *PlanQueue) dequeue(timeout time.Duration, stopCh <-chan struct{}) (*PendingPlan, error) {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		q.mu.Lock()
		if !q.enabled {
			q.mu.Unlock()
			return nil, ErrPlanQueueDisabled
		}
		if q.plans.Len() > 0 {
			p := heap.Pop(&q.plans).(*PendingPlan)
			q.mu.Unlock()
			metrics.MeasureSince([]string{"plan", "queue_wait"}, p.EnqueueTime)
			return p, nil
		}
		wake := q.readyCh
		q.mu.Unlock()

		select {
		case <-wake:
		case <-expired:
			return nil, nil
		case <-stopCh:
			return nil, nil
		}
	}
}

// Stats returns the queue's counts.
func (q *PlanQueue) Stats() *PlanQueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return &PlanQueueStats{Depth: q.plans.Len()}
}

// EmitStats publishes the queue depth as a go-metrics gauge every period
// until stopCh is closed.
func (q *PlanQueue) EmitStats(period time.Duration, stopCh <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-t.C:
			metrics.SetGauge([]string{"plan", "queue_depth"}, float32(q.Stats().Depth))
		}
	}
}
