package nomadlike

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/stream"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestFSM_PublishesEvents applies an entry of every type and reads the
// events the FSM published: one batch per entry that changed something,
// typed after the entry, holding the objects as stored.
func TestFSM_PublishesEvents(t *testing.T) {
	t.Parallel()
	broker := stream.NewEventBroker(stream.BrokerConfig{})
	f, err := NewFSM(FSMConfig{Logger: hclog.NewNullLogger(), Events: broker})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := broker.Subscribe(&stream.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cases := fsmApplyCases()
	want := make(map[uint64]string)
	for i, tc := range cases {
		index := uint64(i + 1)
		mustApply(t, f, index, tc.msgType, tc.msg)
		if w := expectedEvents(tc.msg); w != "" {
			want[index] = fsmEventTypes[tc.msgType] + " " + w
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for index := uint64(1); index <= uint64(len(cases)); index++ {
		if want[index] == "" {
			continue
		}
		got, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if got.Index != index {
			t.Fatalf("batch at %d, want %d (%s)", got.Index, index, want[index])
		}
		if s := summarize(t, got); s != want[index] {
			t.Errorf("index %d: got %s, want %s", index, s, want[index])
		}
	}
}

// expectedEvents is "Topic:Key ..." for the objects an entry's request
// names, in the order the FSM publishes them.
func expectedEvents(msg interface{}) string {
	var out []string
	add := func(topic stream.Topic, key string) { out = append(out, fmt.Sprintf("%s:%s", topic, key)) }
	switch m := msg.(type) {
	case *structs.NodeRegisterRequest:
		add(stream.TopicNode, m.Node.ID)
	case *structs.NodeUpdateStatusRequest:
		add(stream.TopicNode, m.NodeID)
	case *structs.NodeUpdateEligibilityRequest:
		add(stream.TopicNode, m.NodeID)
	case *structs.NodeDeregisterRequest:
		add(stream.TopicNode, m.NodeID)
	case *structs.JobRegisterRequest:
		add(stream.TopicJob, m.Job.ID)
		add(stream.TopicEvaluation, m.Eval.ID)
	case *structs.JobDeregisterRequest:
		add(stream.TopicJob, m.JobID)
	case *structs.ApplyPlanResultsRequest:
		for _, a := range m.AllocsUpdated {
			add(stream.TopicAllocation, a.ID)
		}
	case *structs.AllocUpdateRequest:
		for _, a := range m.Alloc {
			add(stream.TopicAllocation, a.ID)
		}
		for _, e := range m.Evals {
			add(stream.TopicEvaluation, e.ID)
		}
	case *structs.AllocUpdateDesiredTransitionRequest:
		for _, id := range slices.Sorted(maps.Keys(m.Allocs)) {
			add(stream.TopicAllocation, id)
		}
		for _, e := range m.Evals {
			add(stream.TopicEvaluation, e.ID)
		}
	case *structs.EvalUpdateRequest:
		for _, e := range m.Evals {
			add(stream.TopicEvaluation, e.ID)
		}
	}
	return strings.Join(out, " ")
}

// summarize renders a batch as its type and "Topic:Key ...", checking
// that each event carries the batch's index and a stored object.
func summarize(t *testing.T, b *stream.Events) string {
	t.Helper()
	typ := ""
	var keys []string
	for _, e := range b.Events {
		if e.Index != b.Index {
			t.Errorf("event %s:%s at %d in batch %d", e.Topic, e.Key, e.Index, b.Index)
		}
		if typ != "" && e.Type != typ {
			t.Errorf("types %s and %s in one batch", typ, e.Type)
		}
		typ = e.Type
		switch p := e.Payload.(type) {
		case *stream.EvalEvent:
			if p.Evaluation.ModifyIndex != b.Index {
				t.Errorf("eval %s has ModifyIndex %d in batch %d", p.Evaluation.ID, p.Evaluation.ModifyIndex, b.Index)
			}
		case *stream.AllocEvent:
			if p.Allocation.Job != nil {
				t.Errorf("alloc %s carries its job", p.Allocation.ID)
			}
		case *stream.JobEvent:
			if e.Type == stream.TypeJobDeregistered && p.Deleted != (p.Job.ModifyIndex < b.Index) {
				t.Errorf("job %s: Deleted %v at index %d", p.Job.ID, p.Deleted, p.Job.ModifyIndex)
			}
		}
		keys = append(keys, fmt.Sprintf("%s:%s", e.Topic, e.Key))
	}
	return typ + " " + strings.Join(keys, " ")
}
