package nomadlike

// Heartbeat timers let the leader notice clients that stopped calling in.
// Each node heartbeat resets the node's timer; a timer that runs out calls
// onExpire, and the leader then marks the node down. API (package-internal
// constructor, exported methods):
//
//	newHeartbeater(onExpire func(nodeID string), logger hclog.Logger) *Heartbeater
//	(*Heartbeater).ResetTTL(nodeID string, ttl time.Duration)
//	(*Heartbeater).Clear(nodeID string)
//	(*Heartbeater).ClearAll()
//	(*Heartbeater).Len() int
//	HeartbeatTTL(numNodes int, min time.Duration, maxHeartbeatsPerSecond float64) time.Duration
//
// The server tells a client HeartbeatTTL(...) and arms the timer with that
// TTL plus DefaultHeartbeatGrace, so a client that heartbeats on time is
// never marked down by network jitter.

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	metrics "github.com/hashicorp/go-metrics"
)

// Nomad's defaults for the server's heartbeat settings.
const (
	DefaultMinHeartbeatTTL        = 10 * time.Second
	DefaultMaxHeartbeatsPerSecond = 50.0
	DefaultHeartbeatGrace         = 10 * time.Second
	// DefaultFailoverHeartbeatTTL is the timer a new leader arms for every
	// known node, long enough for all of them to find the new leader.
	DefaultFailoverHeartbeatTTL = 300 * time.Second
)

// HeartbeatTTL is how long a node may wait before its next heartbeat.
// With numNodes nodes the servers should see at most
// maxHeartbeatsPerSecond heartbeats a second, so the TTL grows with the
// cluster, never below minTTL. A random stagger of up to the TTL again keeps
// nodes that registered together from heartbeating in lockstep.
func HeartbeatTTL(numNodes int, minTTL time.Duration, maxHeartbeatsPerSecond float64) time.Duration {
	if maxHeartbeatsPerSecond <= 0 {
		maxHeartbeatsPerSecond = DefaultMaxHeartbeatsPerSecond
	}
	ttl := time.Duration(float64(numNodes) / maxHeartbeatsPerSecond * float64(time.Second))
	ttl = max(ttl, minTTL)
	if ttl <= 0 {
		return 0
	}
	return ttl + rand.N(ttl)
}

// heartbeatTimer is one node's timer. A fresh one per reset means a timer
// that fired while being replaced can tell it is stale.
type heartbeatTimer struct {
	timer *time.Timer
}

// Heartbeater holds one timer per node. It is safe for concurrent use;
// onExpire runs on the timer's own goroutine.
type Heartbeater struct {
	onExpire func(nodeID string)
	logger   hclog.Logger

	mu     sync.Mutex
	timers map[string]*heartbeatTimer
}

// newHeartbeater returns a Heartbeater that calls onExpire, once per
// expiry, for a node whose timer ran out.
func newHeartbeater(onExpire func(nodeID string), logger hclog.Logger) *Heartbeater {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Heartbeater{
		onExpire: onExpire,
		logger:   logger.Named("heartbeat"),
		timers:   make(map[string]*heartbeatTimer),
	}
}

// ResetTTL (re)arms the node's timer to expire after ttl.
func (h *Heartbeater) ResetTTL(nodeID string, ttl time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.timers[nodeID]; ok {
		old.timer.Stop()
	}
	t := &heartbeatTimer{}
	t.timer = time.AfterFunc(ttl, func() { h.expire(nodeID, t) })
	h.timers[nodeID] = t
}

func (h *Heartbeater) expire(nodeID string, t *heartbeatTimer) {
	h.mu.Lock()
	if h.timers[nodeID] != t {
		// Reset or cleared after the timer fired but before we got here.
		h.mu.Unlock()
		return
	}
	delete(h.timers, nodeID)
	h.mu.Unlock()

	metrics.IncrCounter([]string{"heartbeat", "invalidate"}, 1)
	h.logger.Warn("node heartbeat missed", "node_id", nodeID)
	h.onExpire(nodeID)
}

// Clear stops the node's timer, for a node that deregistered or is
// already down.
func (h *Heartbeater) Clear(nodeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.timers[nodeID]; ok {
		t.timer.Stop()
		delete(h.timers, nodeID)
	}
}

// ClearAll stops every timer, when the server steps down as leader.
func (h *Heartbeater) ClearAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.timers {
		t.timer.Stop()
	}
	h.timers = make(map[string]*heartbeatTimer)
}

// Len is the number of armed timers.
func (h *Heartbeater) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.timers)
}
