package stream

import (
	"context"
	"fmt"
	"strings"
)

// SubscribeRequest says which events a subscription wants.
type SubscribeRequest struct {
	// Topics maps a topic (or "*" for all) to the keys wanted: "*" for
	// every key, otherwise an event's Key or one of its FilterKeys (a
	// job ID matches that job's evaluations and allocations too). An
	// empty map means every event.
	Topics map[Topic][]string
	// Index is the first Raft index wanted; batches still in the ring
	// from there on are replayed. 0 replays the whole ring.
	Index uint64
	// Namespace keeps namespaced events (jobs, evaluations,
	// allocations) of that namespace only; "" or "*" keeps all. Events
	// without a namespace (nodes) always pass.
	Namespace string
}

// Subscription is one reader's view of the stream. Next must be called
// from one goroutine at a time.
type Subscription struct {
	broker *EventBroker
	filter filter
	// replay holds the ring's batches taken at Subscribe, read first.
	replay []*Events
	ch     chan *Events
	// err is set by the broker before it closes ch.
	err error
}

// Next returns the next batch with at least one wanted event, holding only
// those events. It blocks until there is one, ctx ends (ctx.Err()), or
// the broker drops the subscription (ErrSlowSubscriber, ErrBrokerClosed,
// after the batches it had already queued).
func (s *Subscription) Next(ctx context.Context) (*Events, error) {
	for len(s.replay) > 0 {
		batch := s.replay[0]
		s.replay = s.replay[1:]
		if out := s.filter.apply(batch); out != nil {
			return out, nil
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case batch, ok := <-s.ch:
			if !ok {
				return nil, s.err
			}
			if out := s.filter.apply(batch); out != nil {
				return out, nil
			}
		}
	}
}

// Unsubscribe ends the subscription; later calls to Next return
// context.Canceled once the queued batches are read.
func (s *Subscription) Unsubscribe() {
	s.broker.unsubscribe(s)
}

// filter is a compiled SubscribeRequest.
type filter struct {
	all       bool
	namespace string
	// keys maps a topic, "*" included, to its wanted keys; a nil set
	// means every key.
	keys map[Topic]map[string]struct{}
}

func newFilter(req *SubscribeRequest) (filter, error) {
	f := filter{namespace: req.Namespace, keys: make(map[Topic]map[string]struct{})}
	if f.namespace == "*" {
		f.namespace = ""
	}
	if len(req.Topics) == 0 {
		f.all = true
		return f, nil
	}
	for topic, keys := range req.Topics {
		if topic == "" {
			return filter{}, fmt.Errorf("subscribe: empty topic")
		}
		if len(keys) == 0 {
			f.keys[topic] = nil
			continue
		}
		set := make(map[string]struct{}, len(keys))
		for _, k := range keys {
			if k == "*" {
				set = nil
				break
			}
			if strings.TrimSpace(k) == "" {
				return filter{}, fmt.Errorf("subscribe: topic %s: empty key", topic)
			}
			set[k] = struct{}{}
		}
		f.keys[topic] = set
	}
	return f, nil
}

// apply returns batch cut down to the wanted events, or nil when none is.
// The batch itself is shared and never changed.
func (f filter) apply(batch *Events) *Events {
	var kept []Event
	for i := range batch.Events {
		if f.wants(&batch.Events[i]) {
			kept = append(kept, batch.Events[i])
		}
	}
	if len(kept) == 0 {
		return nil
	}
	if len(kept) == len(batch.Events) {
		return batch
	}
	return &Events{Index: batch.Index, Events: kept}
}

func (f filter) wants(e *Event) bool {
	if f.namespace != "" && e.Namespace != "" && e.Namespace != f.namespace {
		return false
	}
	if f.all {
		return true
	}
	return f.topicWants(TopicAll, e) || f.topicWants(e.Topic, e)
}

func (f filter) topicWants(topic Topic, e *Event) bool {
	set, ok := f.keys[topic]
	if !ok {
		return false
	}
	if set == nil {
		return true
	}
	if _, ok := set[e.Key]; ok {
		return true
	}
	for _, k := range e.FilterKeys {
		if _, ok := set[k]; ok {
			return true
		}
	}
	return false
}
