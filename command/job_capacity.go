package command

import (
	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/jobspec"
)

// clusterCapacity asks the agent for its ready nodes' resources, so that a
// task no node could ever hold is reported at its line of the job file
// before the job is sent. Without an answering agent (or with no ready
// node) it returns nil: the file is then checked on its own.
func (m *Meta) clusterCapacity() *jobspec.NodeCapacity {
	client, err := m.Client()
	if err != nil {
		return nil
	}
	nodes, _, err := client.Nodes().List(&api.QueryOptions{Params: map[string]string{"resources": "true"}})
	if err != nil {
		return nil
	}
	c := nodeCapacity(nodes)
	if c.Nodes == 0 {
		return nil
	}
	return &c
}

// nodeCapacity is, per resource, the most that any ready, eligible node
// offers after its reservations.
func nodeCapacity(nodes []*api.NodeListStub) jobspec.NodeCapacity {
	var c jobspec.NodeCapacity
	for _, n := range nodes {
		if n == nil || n.NodeResources == nil || n.Status != "ready" || n.Drain || n.SchedulingEligibility == "ineligible" {
			continue
		}
		r := n.NodeResources
		cpu, mem := r.Cpu.CpuShares, r.Memory.MemoryMB
		if res := n.ReservedResources; res != nil {
			cpu -= int64(res.Cpu.CpuShares)
			mem -= int64(res.Memory.MemoryMB)
		}
		cores := len(r.Cpu.ReservableCpuCores)
		if cores == 0 {
			cores = int(r.Cpu.TotalCpuCores)
		}
		c.Nodes++
		c.CPU, c.MemoryMB, c.Cores = max(c.CPU, cpu), max(c.MemoryMB, mem), max(c.Cores, cores)
	}
	return c
}
