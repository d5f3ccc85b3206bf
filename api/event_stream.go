package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Topic is what an event is about: Job, Evaluation, Allocation, Node, or
// "*" for all.
type Topic string

const (
	TopicJob        Topic = "Job"
	TopicEvaluation Topic = "Evaluation"
	TopicAllocation Topic = "Allocation"
	TopicNode       Topic = "Node"
	TopicAll        Topic = "*"
)

// Events is every event of one Raft index. Err is set, and the channel
// closed after it, when the stream ended with an error.
type Events struct {
	Index  uint64
	Events []Event
	Err    error `json:"-"`
}

// IsHeartbeat reports whether e is the empty keep-alive the agent sends
// on an idle stream.
func (e *Events) IsHeartbeat() bool {
	return e.Index == 0 && len(e.Events) == 0
}

// Event is one changed object. Payload holds it under its kind
// ({"Job": {...}}); the typed accessors decode it.
type Event struct {
	Topic      Topic
	Type       string
	Key        string
	Namespace  string
	FilterKeys []string
	Index      uint64
	Payload    json.RawMessage
}

type eventPayload struct {
	Job        *Job
	Deleted    bool
	Evaluation *Evaluation
	Allocation *Allocation
	Node       *Node
}

func (e *Event) payload() (*eventPayload, error) {
	var p eventPayload
	if len(e.Payload) == 0 {
		return &p, nil
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode %s event payload: %w", e.Topic, err)
	}
	return &p, nil
}

// Job returns the job of a Job event, nil for other topics.
func (e *Event) Job() (*Job, error) {
	p, err := e.payload()
	if err != nil {
		return nil, err
	}
	return p.Job, nil
}

// DeregisteredJob returns the job of a JobDeregistered event and whether
// it was purged.
func (e *Event) DeregisteredJob() (*Job, bool, error) {
	p, err := e.payload()
	if err != nil {
		return nil, false, err
	}
	return p.Job, p.Deleted, nil
}

// Evaluation returns the evaluation of an Evaluation event, with its
// FailedTGAllocs when placements failed.
func (e *Event) Evaluation() (*Evaluation, error) {
	p, err := e.payload()
	if err != nil {
		return nil, err
	}
	return p.Evaluation, nil
}

// Allocation returns the allocation of an Allocation event; its Job is
// not included.
func (e *Event) Allocation() (*Allocation, error) {
	p, err := e.payload()
	if err != nil {
		return nil, err
	}
	return p.Allocation, nil
}

// Node returns the node of a Node event.
func (e *Event) Node() (*Node, error) {
	p, err := e.payload()
	if err != nil {
		return nil, err
	}
	return p.Node, nil
}

// EventStream reads /v1/event/stream.
type EventStream struct {
	client *Client
}

// EventStream returns the event stream endpoint.
func (c *Client) EventStream() *EventStream { return &EventStream{client: c} }

// Stream subscribes to the events of topics (a topic mapped to the keys
// wanted, "*" or none for all; a nil map for every topic) from index on
// (0: whatever the agent still buffers) and sends them, heartbeats left
// out, on the returned channel until ctx ends or the stream fails; a
// failure is sent as an Events with Err set, then the channel closes.
// After a failure, subscribe again from the last Index received.
func (s *EventStream) Stream(ctx context.Context, topics map[Topic][]string, index uint64, q *QueryOptions) (<-chan *Events, error) {
	r := s.client.newRequest(http.MethodGet, "/v1/event/stream")
	r.ctx = ctx
	r.setQueryOptions(q)
	r.params.Del("wait")
	r.params.Set("index", strconv.FormatUint(index, 10))
	for topic, keys := range topics {
		if len(keys) == 0 {
			r.params.Add("topic", string(topic))
		}
		for _, k := range keys {
			r.params.Add("topic", string(topic)+":"+k)
		}
	}
	resp, _, err := s.client.do(r)
	if err != nil {
		return nil, err
	}
	out := make(chan *Events, 10)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		readEvents(ctx, resp.Body, out)
	}()
	return out, nil
}

// streamEnd is the last line of a stream the agent cut off.
type streamEnd struct {
	Events
	Error string
}

func readEvents(ctx context.Context, body io.Reader, out chan<- *Events) {
	dec := json.NewDecoder(body)
	for ctx.Err() == nil {
		var line streamEnd
		err := dec.Decode(&line)
		switch {
		case err == nil && line.Error != "":
			err = errors.New(line.Error)
		case err == nil && line.IsHeartbeat():
			continue
		case errors.Is(err, io.EOF):
			err = io.ErrUnexpectedEOF
		}
		ev := &line.Events
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			ev = &Events{Err: fmt.Errorf("event stream: %w", err)}
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}
