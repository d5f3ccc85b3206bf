package stream

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func batch(index uint64, events ...Event) *Events {
	for i := range events {
		events[i].Index = index
	}
	return &Events{Index: index, Events: events}
}

func jobEvent(ns, id string) Event {
	return JobChanged(TypeJobRegistered, 0, &structs.Job{ID: id, Namespace: ns}, false)
}

func evalEvent(ns, id, job string) Event {
	return EvalChanged(TypeEvalUpdated, 0, &structs.Evaluation{ID: id, Namespace: ns, JobID: job})
}

func nodeEvent(id string) Event {
	return NodeChanged(TypeNodeRegistration, 0, &structs.Node{ID: id})
}

// next reads one batch, failing the test if none comes in time.
func next(t *testing.T, sub *Subscription) *Events {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("next: %v", err)
	}
	return got
}

// keys flattens a batch to "Topic:Key" strings.
func keys(b *Events) []string {
	var out []string
	for _, e := range b.Events {
		out = append(out, fmt.Sprintf("%s:%s", e.Topic, e.Key))
	}
	return out
}

func TestSubscriptionFilter(t *testing.T) {
	t.Parallel()
	published := batch(7,
		jobEvent("default", "web"),
		evalEvent("default", "e1", "web"),
		evalEvent("default", "e2", "api"),
		jobEvent("prod", "web"),
		nodeEvent("n1"),
	)
	cases := []struct {
		name string
		req  SubscribeRequest
		want []string
	}{
		{"everything", SubscribeRequest{}, []string{"Job:web", "Evaluation:e1", "Evaluation:e2", "Job:web", "Node:n1"}},
		{"all topics, all keys", SubscribeRequest{Topics: map[Topic][]string{TopicAll: {"*"}}},
			[]string{"Job:web", "Evaluation:e1", "Evaluation:e2", "Job:web", "Node:n1"}},
		{"one topic", SubscribeRequest{Topics: map[Topic][]string{TopicNode: {"*"}}}, []string{"Node:n1"}},
		{"topic without keys means all keys", SubscribeRequest{Topics: map[Topic][]string{TopicNode: nil}}, []string{"Node:n1"}},
		{"key matches FilterKeys (the job of an eval)", SubscribeRequest{Topics: map[Topic][]string{TopicEvaluation: {"web"}}},
			[]string{"Evaluation:e1"}},
		{"key on two topics", SubscribeRequest{Topics: map[Topic][]string{TopicJob: {"web"}, TopicEvaluation: {"e2"}}},
			[]string{"Job:web", "Evaluation:e2", "Job:web"}},
		{"namespace keeps un-namespaced nodes", SubscribeRequest{Namespace: "prod"}, []string{"Job:web", "Node:n1"}},
		{"namespace star is every namespace", SubscribeRequest{Namespace: "*", Topics: map[Topic][]string{TopicJob: {"*"}}},
			[]string{"Job:web", "Job:web"}},
		{"nothing wanted", SubscribeRequest{Topics: map[Topic][]string{TopicAllocation: {"*"}}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := NewEventBroker(BrokerConfig{})
			sub, err := b.Subscribe(&tc.req)
			if err != nil {
				t.Fatal(err)
			}
			b.Publish(published)
			// A marker the "nothing wanted" case wants ends its read.
			b.Publish(batch(8, AllocChanged(TypePlanResult, 0, &structs.Allocation{ID: "marker"})))
			got := next(t, sub)
			if tc.want == nil {
				if got.Index != 8 {
					t.Fatalf("got %v at %d, want nothing before the marker", keys(got), got.Index)
				}
				return
			}
			if got.Index != 7 || fmt.Sprint(keys(got)) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v at %d, want %v at 7", keys(got), got.Index, tc.want)
			}
		})
	}
}

func TestSubscribeRejectsBadRequest(t *testing.T) {
	t.Parallel()
	b := NewEventBroker(BrokerConfig{})
	for _, req := range []*SubscribeRequest{
		{Topics: map[Topic][]string{"": {"*"}}},
		{Topics: map[Topic][]string{TopicJob: {" "}}},
	} {
		if _, err := b.Subscribe(req); err == nil {
			t.Errorf("subscribe %+v: no error", req.Topics)
		}
	}
}

func TestSubscribeReplaysFromIndex(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		index uint64
		want  []uint64
	}{
		{"index 0 replays the ring", 0, []uint64{3, 4, 5, 6}},
		{"from an index in the ring", 5, []uint64{5, 6}},
		{"from an index already dropped: the oldest kept", 1, []uint64{3, 4, 5, 6}},
		{"from the future: only new batches", 9, []uint64{10}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := NewEventBroker(BrokerConfig{BufferSize: 4})
			for i := uint64(1); i <= 6; i++ {
				b.Publish(batch(i, nodeEvent(fmt.Sprint(i))))
			}
			sub, err := b.Subscribe(&SubscribeRequest{Index: tc.index})
			if err != nil {
				t.Fatal(err)
			}
			b.Publish(batch(10, nodeEvent("10")))
			for _, want := range tc.want {
				if got := next(t, sub); got.Index != want {
					t.Fatalf("got index %d, want %d", got.Index, want)
				}
			}
		})
	}
}

// TestSubscribeNoGapWhilePublishing subscribes while the FSM publishes:
// what the subscription sees from its first batch on must be every
// index, once, in order.
func TestSubscribeNoGapWhilePublishing(t *testing.T) {
	t.Parallel()
	b := NewEventBroker(BrokerConfig{BufferSize: 8, SubscriberBuffer: 2000})
	const last = 1000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(1); i <= last; i++ {
			b.Publish(batch(i, nodeEvent("n")))
		}
	}()
	sub, err := b.Subscribe(&SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	prev := next(t, sub).Index
	for prev < last {
		got := next(t, sub).Index
		if got != prev+1 {
			t.Fatalf("index %d after %d", got, prev)
		}
		prev = got
	}
}

func TestSlowSubscriberDropped(t *testing.T) {
	t.Parallel()
	b := NewEventBroker(BrokerConfig{SubscriberBuffer: 2})
	slow, err := b.Subscribe(&SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// The FSM must never wait: publishing far more than the subscriber
	// holds returns, or the test times out here.
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := uint64(1); i <= 1000; i++ {
			b.Publish(batch(i, nodeEvent("n")))
		}
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	// What was queued before the drop is still delivered, then the error.
	for want := uint64(1); want <= 2; want++ {
		if got := next(t, slow); got.Index != want {
			t.Fatalf("index %d, want %d", got.Index, want)
		}
	}
	if _, err := slow.Next(context.Background()); !errors.Is(err, ErrSlowSubscriber) {
		t.Fatalf("err %v, want ErrSlowSubscriber", err)
	}
	if n := b.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left, want the slow one dropped", n)
	}
	// A new subscription carries on from the ring.
	again, err := b.Subscribe(&SubscribeRequest{Index: 999})
	if err != nil {
		t.Fatal(err)
	}
	if got := next(t, again); got.Index != 999 {
		t.Fatalf("resubscribed at %d, want 999", got.Index)
	}
}

func TestUnsubscribeAndClose(t *testing.T) {
	t.Parallel()
	b := NewEventBroker(BrokerConfig{})
	sub, err := b.Subscribe(&SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.Subscribe(&SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sub.Unsubscribe()
	sub.Unsubscribe()
	if _, err := sub.Next(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("after Unsubscribe: %v, want context.Canceled", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := other.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}
	b.Close()
	if _, err := other.Next(context.Background()); !errors.Is(err, ErrBrokerClosed) {
		t.Fatalf("after Close: %v, want ErrBrokerClosed", err)
	}
	if _, err := b.Subscribe(&SubscribeRequest{}); !errors.Is(err, ErrBrokerClosed) {
		t.Fatalf("subscribe after Close: %v", err)
	}
}

func TestAllocEventLeavesJobOut(t *testing.T) {
	t.Parallel()
	alloc := &structs.Allocation{ID: "a1", JobID: "web", Job: &structs.Job{ID: "web"}}
	e := AllocChanged(TypePlanResult, 3, alloc)
	if got := e.Payload.(*AllocEvent).Allocation; got.Job != nil || got.ID != "a1" {
		t.Fatalf("payload %+v, want the allocation without its job", got)
	}
	if alloc.Job == nil {
		t.Fatal("the stored allocation was changed")
	}
	if e.FilterKeys[0] != "web" {
		t.Fatalf("filter keys %v, want the job ID", e.FilterKeys)
	}
}
