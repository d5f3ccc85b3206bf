package client

import (
	"math"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestUsageMetric(t *testing.T) {
	t.Parallel()
	job := mock.Job()
	job.TaskGroups[0].Tasks[0].Resources.CPU = 500
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 256
	alloc := mock.AllocFor(job, mock.Node(), 0)
	cases := []struct {
		name         string
		usage        *structs.ResourceUsage
		wantCPU, mem float64
	}{
		{name: "half the cpu, a quarter of the memory",
			usage:   &structs.ResourceUsage{CpuStats: &structs.CpuStats{TotalTicks: 250}, MemoryStats: &structs.MemoryStats{Usage: 64 << 20}},
			wantCPU: 50, mem: 25},
		{name: "over the ask", usage: &structs.ResourceUsage{CpuStats: &structs.CpuStats{TotalTicks: 1000}, MemoryStats: &structs.MemoryStats{}},
			wantCPU: 200, mem: 0},
		{name: "nothing measured", usage: &structs.ResourceUsage{}, wantCPU: 0, mem: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := usageMetric(alloc, tc.usage)
			if math.Abs(m.CPUPercent-tc.wantCPU) > 1e-9 || math.Abs(m.MemoryPercent-tc.mem) > 1e-9 || m.RPS != -1 || m.AllocID != alloc.ID {
				t.Fatalf("metric %+v, want cpu %v%%, memory %v%%, rps unknown", m, tc.wantCPU, tc.mem)
			}
		})
	}
}
