package nomadlike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// BenchmarkEmitAllocMetricsRPC is the metrics pipeline as a client drives
// it: one Node.EmitAllocMetrics over the RPC port per op, from a node of
// 50 autoscaled allocations, into a leader. It includes both ends of the
// RPC (client encode, server decode, secret check, window insert), so it
// is an upper bound of the leader's CPU per sample.
func BenchmarkEmitAllocMetricsRPC(b *testing.B) {
	const perNode = 50
	s := nomadtest.TestServer(b, func(c *nomadlike.Config) { c.NumSchedulers = -1 })
	node := mock.Node()
	var nr structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		b.Fatal(err)
	}
	p := pool.NewPool(hclog.NewNullLogger(), time.Minute)
	b.Cleanup(p.Shutdown)
	req := &structs.EmitAllocMetricsRequest{NodeID: node.ID, SecretID: node.SecretID}
	for i := 0; i < perNode; i++ {
		req.Metrics = append(req.Metrics, &structs.AllocUsageMetric{AllocID: fmt.Sprintf("%08d-1111-2222-3333-444444444444", i),
			CPUPercent: 42.5, MemoryPercent: 33.3, RPS: -1})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var resp structs.EmitAllocMetricsResponse
		if err := p.RPC(s.RPCAddr(), structs.NodeEmitAllocMetricsRPC, req, &resp); err != nil || !resp.Accepted {
			b.Fatalf("emit: %v (accepted %v)", err, resp.Accepted)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perNode, "ns/alloc-sample")
}
