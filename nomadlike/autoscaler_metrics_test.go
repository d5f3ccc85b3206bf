package nomadlike

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestAllocMetricsWindow(t *testing.T) {
	t.Parallel()
	m := newAllocMetrics()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10; i++ {
		m.add(t0.Add(time.Duration(i)*time.Second), []*structs.AllocUsageMetric{{AllocID: "a", CPUPercent: float64(i * 10), RPS: -1}})
	}
	cases := []struct {
		name   string
		query  string
		now    time.Time
		window time.Duration
		want   float64
		ok     bool
	}{
		{name: "window of the last 5 s, both ends in", query: structs.QueryAvgCPUAllocated, now: t0.Add(9 * time.Second), window: 5 * time.Second, want: 65, ok: true},
		{name: "short windows widen to the minimum", query: structs.QueryAvgCPUAllocated, now: t0.Add(9 * time.Second), window: time.Second, want: 65, ok: true},
		{name: "stale samples are no samples", query: structs.QueryAvgCPUAllocated, now: t0.Add(time.Minute), window: 5 * time.Second},
		{name: "unknown rps is no sample", query: structs.QueryAvgRPS, now: t0.Add(9 * time.Second), window: 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := m.average("a", tc.query, tc.now, tc.window)
			if err != nil || ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("average = %v, %v, %v; want %v, %v", got, ok, err, tc.want, tc.ok)
			}
		})
	}
	// Bounded per allocation, and allocations that stop reporting go.
	for i := 0; i < 3*metricsMaxPerAlloc; i++ {
		m.add(t0.Add(10*time.Second+time.Duration(i)*time.Millisecond), []*structs.AllocUsageMetric{{AllocID: "a"}})
	}
	if n := len(m.byAlloc["a"]); n > metricsMaxPerAlloc {
		t.Fatalf("%d samples kept for one allocation, want at most %d", n, metricsMaxPerAlloc)
	}
	m.add(t0.Add(2*metricsRetention), []*structs.AllocUsageMetric{{AllocID: "b"}})
	if _, ok := m.byAlloc["a"]; ok {
		t.Fatal("allocation a kept after it stopped reporting for the retention")
	}
}

// BenchmarkAllocMetricsIngest measures the leader's cost of the pipeline:
// one Node.EmitAllocMetrics body from a node of 50 autoscaled allocations,
// decoded from msgpack as the RPC layer does and added to the window. The
// bytes per op are what such a node sends per sample interval.
func BenchmarkAllocMetricsIngest(b *testing.B) {
	const perNode = 50
	req := &structs.EmitAllocMetricsRequest{NodeID: "node", SecretID: "secret", Time: 1}
	for i := 0; i < perNode; i++ {
		req.Metrics = append(req.Metrics, &structs.AllocUsageMetric{AllocID: fmt.Sprintf("%08d-1111-2222-3333-444444444444", i),
			CPUPercent: 42.5, MemoryPercent: 33.3, RPS: -1})
	}
	buf, err := encodeMsg(structs.MessageType(0), req)
	if err != nil {
		b.Fatal(err)
	}
	m := newAllocMetrics()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var in structs.EmitAllocMetricsRequest
		if err := decodeMsg(buf[1:], &in); err != nil {
			b.Fatal(err)
		}
		now = now.Add(5 * time.Second)
		m.add(now, in.Metrics)
	}
	b.ReportMetric(float64(len(buf)-1)/perNode, "wire-bytes/alloc-sample")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perNode, "ns/alloc-sample")
}
