package nomadlike

import (
	"fmt"
	"sync"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Bounds of the leader's in-memory sample window. It is deliberately not
// in Raft: samples are many, short-lived and cheap to lose; a new leader
// simply waits for fresh ones before deciding (the autoscaler then
// records "no samples" rather than guessing).
const (
	metricsRetention      = 5 * time.Minute
	metricsMaxPerAlloc    = 64
	metricsMinQueryWindow = 5 * time.Second
)

// allocSample is one client sample of one allocation: 32 bytes.
type allocSample struct {
	at            int64
	cpu, mem, rps float32
	_             float32
}

// allocMetrics is the sliding window of samples per allocation. Node
// .EmitAllocMetrics writes it (from RPC goroutines), the autoscaler
// reads it; a mutex is enough at one write per allocation every few
// seconds.
type allocMetrics struct {
	mu      sync.Mutex
	byAlloc map[string][]allocSample
	// swept is when allocations that stopped reporting were last dropped.
	swept int64
}

func newAllocMetrics() *allocMetrics {
	return &allocMetrics{byAlloc: make(map[string][]allocSample)}
}

// add records a node's samples at t and drops what fell out of the
// retention.
func (m *allocMetrics) add(t time.Time, samples []*structs.AllocUsageMetric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cutoff := t.Add(-metricsRetention).UnixNano()
	for _, s := range samples {
		if s == nil || s.AllocID == "" {
			continue
		}
		ring := m.byAlloc[s.AllocID]
		for len(ring) > 0 && (ring[0].at < cutoff || len(ring) >= metricsMaxPerAlloc) {
			ring = ring[1:]
		}
		if len(ring) == cap(ring) {
			// Compact instead of letting the slice's head leak.
			ring = append(make([]allocSample, 0, metricsMaxPerAlloc), ring...)
		}
		m.byAlloc[s.AllocID] = append(ring, allocSample{at: t.UnixNano(),
			cpu: float32(s.CPUPercent), mem: float32(s.MemoryPercent), rps: float32(s.RPS)})
	}
	// Allocations that stopped reporting (stopped, moved, lost) are
	// dropped once their newest sample leaves the retention.
	if t.UnixNano()-m.swept > int64(metricsRetention) {
		m.swept = t.UnixNano()
		for id, ring := range m.byAlloc {
			if len(ring) == 0 || ring[len(ring)-1].at < cutoff {
				delete(m.byAlloc, id)
			}
		}
	}
}

// average is the allocation's mean of query over the samples in
// [now-window, now]; ok is false without a sample in the window.
func (m *allocMetrics) average(allocID, query string, now time.Time, window time.Duration) (float64, bool, error) {
	if window < metricsMinQueryWindow {
		window = metricsMinQueryWindow
	}
	from := now.Add(-window).UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum float64
	n := 0
	for _, s := range m.byAlloc[allocID] {
		if s.at < from || s.at > now.UnixNano() {
			continue
		}
		switch query {
		case structs.QueryAvgCPUAllocated:
			sum += float64(s.cpu)
		case structs.QueryAvgMemoryAllocated:
			sum += float64(s.mem)
		case structs.QueryAvgRPS:
			if s.rps < 0 {
				continue
			}
			sum += float64(s.rps)
		default:
			return 0, false, fmt.Errorf("unknown orch query %q", query)
		}
		n++
	}
	if n == 0 {
		return 0, false, nil
	}
	return sum / float64(n), true, nil
}

// EmitAllocMetrics takes a client's per-allocation usage samples for the
// autoscaler. It is forwarded to the leader like a write but never enters
// Raft; a server that is not the leader after forwarding failed drops the
// samples (Accepted false), which the client may ignore.
func (n *Node) EmitAllocMetrics(args *structs.EmitAllocMetricsRequest, reply *structs.EmitAllocMetricsResponse) error {
	countRPC(structs.NodeEmitAllocMetricsRPC)
	if handled, err := n.srv.forward(structs.NodeEmitAllocMetricsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("NodeID", args.NodeID); err != nil {
		return fmt.Errorf("node emit alloc metrics: %w", err)
	}
	node, err := n.srv.fsm.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return fmt.Errorf("node emit alloc metrics: %w", err)
	}
	if node == nil {
		return fmt.Errorf("node emit alloc metrics: node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	if err := checkSecret(node, args.SecretID); err != nil {
		return fmt.Errorf("node emit alloc metrics: %w", err)
	}
	if !n.srv.IsLeader() {
		reply.Accepted = false
		return nil
	}
	// The server's clock, not the client's, places samples in the window,
	// so a skewed client cannot push its samples out of it.
	n.srv.allocMetrics.add(n.srv.config.Clock.Now(), args.Metrics)
	reply.Accepted = true
	return nil
}
