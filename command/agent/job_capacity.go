package agent

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// capacityWarnings names each task of job that asks for more cpu, cores or
// memory than any ready node offers: such a task validates but can never
// be placed. They are warnings, not errors, because nodes may join later.
// A failure to list the nodes yields none: validation must not depend on
// it.
func (s *HTTPServer) capacityWarnings(job *structs.Job, region string) []string {
	args := structs.NodeListRequest{Resources: true}
	args.Region = region
	var out structs.NodeListResponse
	if err := s.rpc.RPC(structs.NodeListRPC, &args, &out); err != nil {
		return nil
	}
	var ready int
	var cpu, mem int64
	var cores int
	for _, n := range out.Nodes {
		if n == nil || n.NodeResources == nil || n.Status != structs.NodeStatusReady || n.Drain ||
			n.SchedulingEligibility != structs.NodeSchedulingEligible {
			continue
		}
		ncpu, nmem := n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB
		if r := n.ReservedResources; r != nil {
			ncpu -= int64(r.Cpu.CpuShares)
			nmem -= int64(r.Memory.MemoryMB)
		}
		ncores := len(n.NodeResources.Cpu.ReservableCpuCores)
		if ncores == 0 {
			ncores = int(n.NodeResources.Cpu.TotalCpuCores)
		}
		ready++
		cpu, mem, cores = max(cpu, ncpu), max(mem, nmem), max(cores, ncores)
	}
	if ready == 0 {
		return nil
	}
	var warnings []string
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			if t == nil || t.Resources == nil {
				continue
			}
			path := fmt.Sprintf("TaskGroups[%q].Tasks[%q].Resources", tg.Name, t.Name)
			r := t.Resources
			if int64(r.CPU) > cpu {
				warnings = append(warnings, fmt.Sprintf("%s.CPU: %d MHz is more than any of the %d ready nodes offers (at most %d MHz)", path, r.CPU, ready, cpu))
			}
			if r.Cores > cores {
				warnings = append(warnings, fmt.Sprintf("%s.Cores: %d is more than any of the %d ready nodes offers (at most %d)", path, r.Cores, ready, cores))
			}
			if int64(r.MemoryMB) > mem {
				warnings = append(warnings, fmt.Sprintf("%s.MemoryMB: %d MB is more than any of the %d ready nodes offers (at most %d MB)", path, r.MemoryMB, ready, mem))
			}
		}
	}
	return warnings
}
