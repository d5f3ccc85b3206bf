package structs

import (
	"slices"
	"strconv"
	"strings"
)

// MHzPerCore is the CPU share one whole core of the node is worth. A task
// reserving cores is charged that share per core, so CPU accounting sees
// the reservation and a node cannot be over-committed by mixing cpu and
// cores tasks. It is 0 for a node that reports no core count.
func (r *NodeResources) MHzPerCore() int64 {
	if r == nil || r.Cpu.TotalCpuCores == 0 {
		return 0
	}
	return r.Cpu.CpuShares / int64(r.Cpu.TotalCpuCores)
}

// ReservableCores lists the core ids tasks may reserve on the node: the
// fingerprinted list, or every core when the node reports only a count.
func (r *NodeResources) ReservableCores() []uint16 {
	if r == nil {
		return nil
	}
	if len(r.Cpu.ReservableCpuCores) > 0 {
		return r.Cpu.ReservableCpuCores
	}
	out := make([]uint16, r.Cpu.TotalCpuCores)
	for i := range out {
		out[i] = uint16(i)
	}
	return out
}

// ReservedCores returns every core the allocation's tasks hold, in no
// particular order.
func (a *AllocatedResources) ReservedCores() []uint16 {
	if a == nil {
		return nil
	}
	var out []uint16
	for _, t := range a.Tasks {
		out = append(out, t.Cpu.ReservedCores...)
	}
	return out
}

// FormatCPUSet writes core ids in the cpuset list notation the kernel and
// Nomad's NOMAD_CPU_CORES use: ascending, consecutive ids as a range, as in
// "0-2,7".
func FormatCPUSet(ids []uint16) string {
	cores := slices.Compact(slices.Sorted(slices.Values(ids)))
	var b strings.Builder
	for i := 0; i < len(cores); {
		j := i
		for j+1 < len(cores) && cores[j+1] == cores[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(cores[i])))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(cores[j])))
		}
		i = j + 1
	}
	return b.String()
}
