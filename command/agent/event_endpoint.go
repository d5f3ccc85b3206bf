package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/stream"
)

// DefaultEventHeartbeat is how often an idle event stream gets an empty
// "{}" object, as Nomad sends, so proxies and clients do not take the
// silence for a dead connection.
const DefaultEventHeartbeat = 10 * time.Second

// EventSubscriber serves the event stream; the agent's own server does.
type EventSubscriber interface {
	// SubscribeEvents starts a subscription; the caller must
	// Unsubscribe it.
	SubscribeEvents(req *stream.SubscribeRequest) (*stream.Subscription, error)
}

// eventStream serves Nomad's GET /v1/event/stream: one JSON object per
// line, {"Index":N,"Events":[...]} for each Raft index with wanted events
// and {} as a heartbeat, until the client goes away. A subscriber that
// reads too slowly is cut off with a final {"Error":"..."} line and
// should reconnect with index set to the last Index it received.
func (s *HTTPServer) eventStream(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	req, err := parseEventRequest(r)
	if err != nil {
		return nil, err
	}
	if s.events == nil {
		return nil, &codedError{code: http.StatusNotImplemented,
			msg: "the event stream is served by server agents; send the request to a server's HTTP address"}
	}
	sub, err := s.events.SubscribeEvents(req)
	if errors.Is(err, nomadlike.ErrEventStreamDisabled) {
		return nil, &codedError{code: http.StatusNotImplemented,
			msg: "the event stream is disabled on this server (server { enable_event_broker = false })"}
	}
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	// The stream ends with the request or with the agent.
	reqCtx, stop := context.WithCancel(r.Context())
	defer stop()
	defer context.AfterFunc(s.streams, stop)()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	enc := json.NewEncoder(w)
	for {
		ctx, cancel := context.WithTimeout(reqCtx, s.eventHeartbeat)
		batch, err := sub.Next(ctx)
		cancel()
		var out interface{} = batch
		switch {
		case reqCtx.Err() != nil:
			return nil, nil
		case errors.Is(err, context.DeadlineExceeded):
			out = struct{}{}
		case err != nil:
			s.logger.Warn("event stream ended", "remote_addr", r.RemoteAddr, "error", err)
			_ = enc.Encode(map[string]string{"Error": err.Error()})
			_ = rc.Flush()
			return nil, nil
		}
		if err := enc.Encode(out); err != nil {
			return nil, nil
		}
		if err := rc.Flush(); err != nil {
			return nil, nil
		}
	}
}

// parseEventRequest reads topic (repeatable, "Topic" or "Topic:Key"),
// index and namespace, as Nomad does: no topic means every topic, a topic
// without a key means every key of it.
func parseEventRequest(r *http.Request) (*stream.SubscribeRequest, error) {
	q := r.URL.Query()
	req := &stream.SubscribeRequest{Namespace: namespaceOf(r)}
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, badRequest("invalid index %q: must be a non-negative integer", v)
		}
		req.Index = n
	}
	for _, raw := range q["topic"] {
		topic, key, hasKey := strings.Cut(raw, ":")
		if !hasKey {
			key = "*"
		}
		if topic == "" || key == "" || strings.Contains(key, ":") {
			return nil, badRequest("invalid topic %q: want Topic or Topic:Key, such as Job:web or Evaluation:*", raw)
		}
		if req.Topics == nil {
			req.Topics = make(map[stream.Topic][]string)
		}
		req.Topics[stream.Topic(topic)] = append(req.Topics[stream.Topic(topic)], key)
	}
	return req, nil
}
