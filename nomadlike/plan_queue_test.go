package nomadlike

import (
	"errors"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func newTestPlanQueue(t *testing.T) *PlanQueue {
	t.Helper()
	q := NewPlanQueue()
	q.SetEnabled(true)
	t.Cleanup(func() { q.SetEnabled(false) })
	return q
}

func TestPlanQueue_PriorityThenFIFO(t *testing.T) {
	t.Parallel()
	q := newTestPlanQueue(t)
	priorities := []int{50, 90, 50, 10, 90}
	wantOrder := []int{1, 4, 0, 2, 3}
	plans := make([]*structs.Plan, len(priorities))
	for i, p := range priorities {
		plans[i] = &structs.Plan{Priority: p, EvalID: string(rune('a' + i))}
		if _, err := q.Enqueue(plans[i]); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
	if got := q.Stats().Depth; got != len(plans) {
		t.Fatalf("depth = %d, want %d", got, len(plans))
	}
	for _, want := range wantOrder {
		p, err := q.Dequeue(time.Second)
		if err != nil || p == nil {
			t.Fatalf("dequeue: %v, %v", p, err)
		}
		if p.Plan != plans[want] {
			t.Fatalf("dequeued plan %s (priority %d), want %s", p.Plan.EvalID, p.Plan.Priority, plans[want].EvalID)
		}
	}
	p, err := q.Dequeue(10 * time.Millisecond)
	if p != nil || err != nil {
		t.Fatalf("dequeue of an empty queue = %v, %v; want nil, nil after the timeout", p, err)
	}
}

func TestPlanQueue_FutureGetsResponse(t *testing.T) {
	t.Parallel()
	q := newTestPlanQueue(t)
	future, err := q.Enqueue(&structs.Plan{Priority: 50})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	want := &structs.PlanResult{AllocIndex: 42}
	go func() {
		p, err := q.Dequeue(0)
		if err != nil {
			return
		}
		p.Respond(want, nil)
		p.Respond(nil, errors.New("a second answer must be ignored"))
	}()
	got, err := future.Wait()
	if err != nil || got != want {
		t.Fatalf("wait = %+v, %v; want the applier's result", got, err)
	}
}

func TestPlanQueue_Disabled(t *testing.T) {
	t.Parallel()
	t.Run("enqueue and dequeue refused", func(t *testing.T) {
		t.Parallel()
		q := NewPlanQueue()
		if _, err := q.Enqueue(&structs.Plan{}); !errors.Is(err, ErrPlanQueueDisabled) {
			t.Fatalf("enqueue err = %v, want ErrPlanQueueDisabled", err)
		}
		if _, err := q.Dequeue(time.Millisecond); !errors.Is(err, ErrPlanQueueDisabled) {
			t.Fatalf("dequeue err = %v, want ErrPlanQueueDisabled", err)
		}
	})
	t.Run("disabling answers queued plans", func(t *testing.T) {
		t.Parallel()
		q := NewPlanQueue()
		q.SetEnabled(true)
		queued, err := q.Enqueue(&structs.Plan{})
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		q.SetEnabled(false)
		if _, err := queued.Wait(); !errors.Is(err, ErrPlanQueueDisabled) {
			t.Fatalf("queued plan answered %v, want ErrPlanQueueDisabled", err)
		}
	})
	t.Run("disabling wakes a blocked dequeue", func(t *testing.T) {
		t.Parallel()
		q := NewPlanQueue()
		q.SetEnabled(true)
		errCh := make(chan error, 1)
		go func() {
			_, err := q.Dequeue(0)
			errCh <- err
		}()
		q.SetEnabled(false)
		if err := <-errCh; !errors.Is(err, ErrPlanQueueDisabled) {
			t.Fatalf("blocked dequeue err = %v, want ErrPlanQueueDisabled", err)
		}
	})
}
