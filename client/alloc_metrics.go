package client

import (
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// DefaultAutoscalingSampleInterval is how often a client reports the usage
// of autoscaled allocations.
const DefaultAutoscalingSampleInterval = 5 * time.Second

// RequestRater gives the requests per second each allocation served,
// by allocation ID. The built-in load balancer implements it (wired in by
// the agent); allocations it does not know are left out. It is called
// from the metrics goroutine once per sample interval and must not block.
type RequestRater interface {
	RequestRates() map[string]float64
}

// emitAllocMetrics samples, every AutoscalingSampleInterval, the running
// allocations whose group has a scaling block, and sends one compact
// aggregate per allocation (percent of the CPU and memory its tasks asked
// for, and its request rate) to the servers. Only autoscaled allocations
// are sampled, so other work costs nothing. A failed send is dropped: the
// next sample replaces it.
func (c *Client) emitAllocMetrics() {
	interval := c.cfg.AutoscalingSampleInterval
	if interval == 0 {
		interval = DefaultAutoscalingSampleInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		metrics := c.sampleAutoscaled()
		if len(metrics) == 0 {
			continue
		}
		node := c.Node()
		req := &structs.EmitAllocMetricsRequest{NodeID: node.ID, SecretID: node.SecretID,
			Time: time.Now().UnixNano(), Metrics: metrics,
			WriteRequest: structs.WriteRequest{Region: c.cfg.Region}}
		var resp structs.EmitAllocMetricsResponse
		if err := c.rpc.RPC(structs.NodeEmitAllocMetricsRPC, req, &resp); err != nil {
			c.logger.Debug("failed to send allocation metrics", "error", err, "allocs", len(metrics))
		}
	}
}

// sampleAutoscaled takes one sample of every running autoscaled
// allocation.
func (c *Client) sampleAutoscaled() []*structs.AllocUsageMetric {
	c.allocMu.RLock()
	var allocs []*structs.Allocation
	for _, ar := range c.runners {
		a := ar.Alloc()
		if a == nil || a.Job == nil || a.ClientStatus != structs.AllocClientStatusRunning {
			continue
		}
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil && tg.Scaling != nil {
			allocs = append(allocs, a)
		}
	}
	c.allocMu.RUnlock()
	var rates map[string]float64
	if c.cfg.RequestRates != nil {
		rates = c.cfg.RequestRates.RequestRates()
	}
	out := make([]*structs.AllocUsageMetric, 0, len(allocs))
	for _, a := range allocs {
		usage, err := c.AllocStats(c.ctx, a.ID)
		if err != nil || usage == nil || usage.ResourceUsage == nil {
			continue
		}
		m := usageMetric(a, usage.ResourceUsage)
		if r, ok := rates[a.ID]; ok {
			m.RPS = r
		}
		out = append(out, m)
	}
	return out
}

// usageMetric expresses an allocation's usage as percents of what its
// tasks asked for; RPS is -1 (unknown) until a RequestRater says.
func usageMetric(a *structs.Allocation, u *structs.ResourceUsage) *structs.AllocUsageMetric {
	var askedMHz, askedMB float64
	if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
		for _, t := range tg.Tasks {
			if t.Resources != nil {
				askedMHz += float64(t.Resources.CPU)
				askedMB += float64(t.Resources.MemoryMB)
			}
		}
	}
	m := &structs.AllocUsageMetric{AllocID: a.ID, RPS: -1}
	if askedMHz > 0 && u.CpuStats != nil {
		m.CPUPercent = u.CpuStats.TotalTicks / askedMHz * 100
	}
	if askedMB > 0 && u.MemoryStats != nil {
		m.MemoryPercent = float64(u.MemoryStats.Usage) / (askedMB * 1024 * 1024) * 100
	}
	return m
}
