package nomadlike

import (
	"errors"

	"github.com/orch-dev/orch/nomadlike/stream"
)

// DefaultEventBufferSize is how many Raft indexes of events the server
// keeps for event stream subscribers asking for an earlier index.
const DefaultEventBufferSize = stream.DefaultBufferSize

// ErrEventStreamDisabled answers subscriptions on a server configured
// with a negative EventBufferSize.
var ErrEventStreamDisabled = errors.New("the event stream is disabled on this server")

// newEventBroker returns the broker the FSM feeds, or nil when the
// configuration disables the stream.
func newEventBroker(cfg *Config) *stream.EventBroker {
	if cfg.EventBufferSize < 0 {
		return nil
	}
	return stream.NewEventBroker(stream.BrokerConfig{Logger: cfg.Logger, BufferSize: cfg.EventBufferSize})
}

// SubscribeEvents subscribes to this server's event stream. Every server
// publishes the entries its own FSM applies, so a follower answers too,
// with the same events at the same indexes as the leader, a little later.
func (s *Server) SubscribeEvents(req *stream.SubscribeRequest) (*stream.Subscription, error) {
	if s.events == nil {
		return nil, ErrEventStreamDisabled
	}
	return s.events.Subscribe(req)
}
