package stream

import (
	"context"
	"errors"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// ErrSlowSubscriber ends a subscription that fell so far behind that the
// broker would have had to wait for it. Subscribe again from the index of
// the last batch received; the ring may still hold what was missed.
var ErrSlowSubscriber = errors.New("event stream subscriber too slow: events were dropped; resubscribe from the last index received")

// ErrBrokerClosed ends every subscription when the server shuts down.
var ErrBrokerClosed = errors.New("event broker closed")

const (
	// DefaultBufferSize is how many batches (Raft indexes) the ring keeps.
	DefaultBufferSize = 100
	// DefaultSubscriberBuffer is how many batches a subscription may lag
	// behind the FSM before it is dropped.
	DefaultSubscriberBuffer = 256
)

// BrokerConfig configures an EventBroker; zero values take the defaults.
type BrokerConfig struct {
	Logger           hclog.Logger
	BufferSize       int
	SubscriberBuffer int
}

// EventBroker fans batches out to subscriptions and keeps the newest in a
// ring for replay. It is safe for concurrent use; Publish is meant to be
// called from the single FSM goroutine, in index order.
type EventBroker struct {
	logger    hclog.Logger
	subBuffer int

	mu sync.Mutex
	// ring holds the newest batches, oldest at ring[start].
	ring   []*Events
	start  int
	count  int
	subs   map[*Subscription]struct{}
	closed bool
}

// NewEventBroker returns an empty broker.
func NewEventBroker(cfg BrokerConfig) *EventBroker {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	if cfg.SubscriberBuffer <= 0 {
		cfg.SubscriberBuffer = DefaultSubscriberBuffer
	}
	return &EventBroker{
		logger:    cfg.Logger.Named("event_broker"),
		subBuffer: cfg.SubscriberBuffer,
		ring:      make([]*Events, cfg.BufferSize),
		subs:      make(map[*Subscription]struct{}),
	}
}

// Publish records batch and offers it to every subscription. The batch
// and its payloads must not change afterwards: readers share them. It
// never waits for a subscriber.
func (b *EventBroker) Publish(batch *Events) {
	if batch == nil || len(batch.Events) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if b.count < len(b.ring) {
		b.ring[(b.start+b.count)%len(b.ring)] = batch
		b.count++
	} else {
		b.ring[b.start] = batch
		b.start = (b.start + 1) % len(b.ring)
	}
	for sub := range b.subs {
		select {
		case sub.ch <- batch:
		default:
			b.logger.Warn("dropping slow event stream subscriber", "index", batch.Index)
			b.dropLocked(sub, ErrSlowSubscriber)
		}
	}
}

// Subscribe starts a subscription. Batches still in the ring with an
// index at or above req.Index come first (all of them for index 0, as
// Nomad replays its buffer), then every batch published from now on,
// with no gap or repeat between the two.
func (b *EventBroker) Subscribe(req *SubscribeRequest) (*Subscription, error) {
	if req == nil {
		req = &SubscribeRequest{}
	}
	f, err := newFilter(req)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrBrokerClosed
	}
	sub := &Subscription{broker: b, filter: f, ch: make(chan *Events, b.subBuffer)}
	for i := 0; i < b.count; i++ {
		batch := b.ring[(b.start+i)%len(b.ring)]
		if batch.Index >= req.Index {
			sub.replay = append(sub.replay, batch)
		}
	}
	b.subs[sub] = struct{}{}
	return sub, nil
}

// Close ends every subscription with ErrBrokerClosed.
func (b *EventBroker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for sub := range b.subs {
		b.dropLocked(sub, ErrBrokerClosed)
	}
}

// Subscribers is how many subscriptions are open.
func (b *EventBroker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// dropLocked ends sub: Next returns what was already queued, then err.
// Only the broker sends on sub.ch, under its lock, so closing it here
// cannot race a send.
func (b *EventBroker) dropLocked(sub *Subscription, err error) {
	delete(b.subs, sub)
	sub.err = err
	close(sub.ch)
}

func (b *EventBroker) unsubscribe(sub *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[sub]; ok {
		b.dropLocked(sub, context.Canceled)
	}
}
