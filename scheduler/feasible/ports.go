package feasible

import (
	"github.com/orch-dev/orch/nomadlike/structs"
)

// randomPortTries is how many random picks are tried in the dynamic range
// before falling back to a scan: random picks keep two evaluations racing
// for one node from choosing the same port, and the scan guarantees a
// result on a nearly full node.
const randomPortTries = 20

// allocatedResources builds the grant of one allocation of tg on the node,
// assigning host ports and reserved cores. The caller has checked fits, so
// this only fails when the dynamic range or the free cores ran out.
func (c *Context) allocatedResources(u *nodeUsage, tg *structs.TaskGroup) (*structs.AllocatedResources, bool) {
	ar := &structs.AllocatedResources{Tasks: make(map[string]*structs.AllocatedTaskResources, len(tg.Tasks))}
	if tg.EphemeralDisk != nil {
		ar.Shared.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	// taken holds ports assigned to this allocation so far, so two labels
	// never get one port.
	var taken []int
	var takenCores []uint16
	hostIP := u.node.Attributes["unique.network.ip-address"]
	for _, n := range tg.Networks {
		assigned, ok := c.assignPorts(u, n, hostIP, &taken)
		if !ok {
			return nil, false
		}
		ar.Shared.Networks = append(ar.Shared.Networks, assigned)
		for _, p := range assigned.ReservedPorts {
			ar.Shared.Ports = append(ar.Shared.Ports, structs.PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: hostIP})
		}
		for _, p := range assigned.DynamicPorts {
			ar.Shared.Ports = append(ar.Shared.Ports, structs.PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: hostIP})
		}
	}
	for _, t := range tg.Tasks {
		tr := &structs.AllocatedTaskResources{}
		if t.Resources != nil {
			tr.Cpu.CpuShares = int64(t.Resources.CPU)
			if n := t.Resources.Cores; n > 0 {
				cores := u.pickCores(n, takenCores)
				if cores == nil {
					return nil, false
				}
				takenCores = append(takenCores, cores...)
				tr.Cpu.ReservedCores = cores
				tr.Cpu.CpuShares += int64(n) * u.mhzPerCore
			}
			tr.Memory.MemoryMB = int64(t.Resources.MemoryMB)
			if c.memoryOversubscription {
				// As Nomad, memory_max is granted only when the
				// scheduler configuration allows oversubscription.
				tr.Memory.MemoryMaxMB = int64(t.Resources.MemoryMaxMB)
			}
			for _, n := range t.Resources.Networks {
				assigned, ok := c.assignPorts(u, n, hostIP, &taken)
				if !ok {
					return nil, false
				}
				tr.Networks = append(tr.Networks, assigned)
			}
		}
		ar.Tasks[t.Name] = tr
	}
	return ar, true
}

// assignPorts copies an asked network with every dynamic port given a free
// host port of the node.
func (c *Context) assignPorts(u *nodeUsage, ask *structs.NetworkResource, hostIP string, taken *[]int) (*structs.NetworkResource, bool) {
	out := *ask
	out.IP = hostIP
	out.ReservedPorts = append([]structs.Port(nil), ask.ReservedPorts...)
	for _, p := range out.ReservedPorts {
		*taken = append(*taken, p.Value)
	}
	out.DynamicPorts = make([]structs.Port, len(ask.DynamicPorts))
	for i, p := range ask.DynamicPorts {
		port, ok := c.pickDynamicPort(u, *taken)
		if !ok {
			return nil, false
		}
		p.Value = port
		if p.To == -1 {
			// Nomad's convention: to = -1 maps the task's port to the
			// host port it was given.
			p.To = port
		}
		out.DynamicPorts[i] = p
		*taken = append(*taken, port)
	}
	return &out, true
}

func (c *Context) pickDynamicPort(u *nodeUsage, taken []int) (int, bool) {
	free := func(p int) bool {
		if u.portTaken(p) {
			return false
		}
		for _, t := range taken {
			if t == p {
				return false
			}
		}
		return true
	}
	span := u.maxPort - u.minPort + 1
	for range randomPortTries {
		p := u.minPort + c.rng.IntN(span)
		if free(p) {
			return p, true
		}
	}
	start := c.rng.IntN(span)
	for i := range span {
		p := u.minPort + (start+i)%span
		if free(p) {
			return p, true
		}
	}
	return 0, false
}
