package feasible

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Dimension names used as keys of AllocMetric.DimensionExhausted, worded
// as Nomad's so that tooling reading them keeps working. A port collision
// names the port after the prefix, "network: reserved port collision
// http=8080", as Nomad does.
const (
	DimensionCPU          = "cpu"
	DimensionCores        = "cores"
	DimensionMemory       = "memory"
	DimensionDisk         = "disk"
	DimensionPortCollide  = "network: reserved port collision"
	DimensionDynamicPorts = "network: dynamic port selection failed"
)

// portCollision is the dimension of a static port that is already taken.
func portCollision(label string, port int) string {
	return fmt.Sprintf("%s %s=%d", DimensionPortCollide, label, port)
}

// nodeUsage is what a node offers and what is already taken on it, as seen
// by the evaluation being planned.
type nodeUsage struct {
	node *structs.Node
	// avail is the node's resources minus what its operator reserved.
	avail structs.ComparableResources
	used  structs.ComparableResources
	// ports holds every host port taken on the node, reserved ones
	// included; nil until the first port is taken.
	ports   map[int]struct{}
	minPort int
	maxPort int
	// takenInRange counts the ports of ports inside minPort-maxPort, so
	// the free dynamic ports are known without walking the map.
	takenInRange int
	// mhzPerCore is what a reserved core costs in CPU shares; reservable
	// lists the cores tasks may hold and coresTaken those already held,
	// nil until the first is taken.
	mhzPerCore int64
	reservable []uint16
	coresTaken map[uint16]struct{}
	// groupAllocs counts the planned job's allocations per task group,
	// for anti-affinity and distinct_hosts; live counts every allocation
	// on the node, any job's.
	groupAllocs map[string]int
	jobAllocs   int
	live        int
	// stale is set when the plan stops or updates an allocation on the
	// node: the Context drops the usage and rebuilds it on the next read,
	// and a Stack holding it by node index must read it again.
	stale bool
}

func newNodeUsage(node *structs.Node) *nodeUsage {
	u := &nodeUsage{node: node, minPort: structs.DefaultMinDynamicPort, maxPort: structs.DefaultMaxDynamicPort}
	if r := node.NodeResources; r != nil {
		u.avail = structs.ComparableResources{CPU: r.Cpu.CpuShares, MemoryMB: r.Memory.MemoryMB, DiskMB: r.Disk.DiskMB}
		u.mhzPerCore, u.reservable = r.MHzPerCore(), r.ReservableCores()
		if r.MinDynamicPort > 0 && r.MaxDynamicPort >= r.MinDynamicPort {
			u.minPort, u.maxPort = r.MinDynamicPort, r.MaxDynamicPort
		}
	}
	if r := node.ReservedResources; r != nil {
		u.avail.CPU -= int64(r.Cpu.CpuShares)
		u.avail.MemoryMB -= int64(r.Memory.MemoryMB)
		u.avail.DiskMB -= int64(r.Disk.DiskMB)
		for _, p := range ParsePortList(r.Networks.ReservedHostPorts) {
			u.takePort(p)
		}
	}
	return u
}

func (u *nodeUsage) add(a *structs.Allocation, job *structs.Job) {
	u.live++
	if ar := a.AllocatedResources; ar != nil {
		u.addResources(ar)
	}
	if job != nil && a.JobID == job.ID && a.Namespace == job.Namespace {
		if u.groupAllocs == nil {
			u.groupAllocs = make(map[string]int, 1)
		}
		u.groupAllocs[a.TaskGroup]++
		u.jobAllocs++
	}
}

// addResources takes what ar holds in one pass over its tasks: building
// the usage of every node a placement looks at is the scheduler's most
// frequent loop, and each pass over the task map costs more than the sums.
// It counts what AllocatedResources.Comparable, ReservedCores and
// forEachPort would.
func (u *nodeUsage) addResources(ar *structs.AllocatedResources) {
	u.used.DiskMB += ar.Shared.DiskMB
	for _, pm := range ar.Shared.Ports {
		u.takePort(pm.Value)
	}
	for _, n := range ar.Shared.Networks {
		forEachNetworkPort(n, u.takePort)
	}
	for _, t := range ar.Tasks {
		u.used.CPU += t.Cpu.CpuShares
		u.used.MemoryMB += t.Memory.MemoryMB
		u.used.MemoryMaxMB += t.Memory.MemoryMaxMB
		for _, n := range t.Networks {
			forEachNetworkPort(n, u.takePort)
		}
		for _, c := range t.Cpu.ReservedCores {
			if u.coresTaken == nil {
				u.coresTaken = make(map[uint16]struct{})
			}
			u.coresTaken[c] = struct{}{}
		}
	}
}

func (u *nodeUsage) takePort(p int) {
	if u.ports == nil {
		u.ports = make(map[int]struct{})
	}
	if _, dup := u.ports[p]; dup {
		return
	}
	u.ports[p] = struct{}{}
	if p >= u.minPort && p <= u.maxPort {
		u.takenInRange++
	}
}

// freePort is takePort undone: a preempted allocation's port is free
// again.
func (u *nodeUsage) freePort(p int) {
	if _, ok := u.ports[p]; !ok {
		return
	}
	delete(u.ports, p)
	if p >= u.minPort && p <= u.maxPort {
		u.takenInRange--
	}
}

func (u *nodeUsage) portTaken(p int) bool {
	_, ok := u.ports[p]
	return ok
}

func (u *nodeUsage) coreTaken(c uint16) bool {
	_, ok := u.coresTaken[c]
	return ok
}

// freeCores counts the reservable cores no allocation holds.
func (u *nodeUsage) freeCores() int {
	free := 0
	for _, c := range u.reservable {
		if !u.coreTaken(c) {
			free++
		}
	}
	return free
}

// pickCores returns the n lowest free cores not in taken, or nil when
// there are not enough. Lowest first keeps the choice reproducible.
func (u *nodeUsage) pickCores(n int, taken []uint16) []uint16 {
	sorted := slices.Sorted(slices.Values(u.reservable))
	var out []uint16
	for _, c := range sorted {
		if len(out) == n {
			break
		}
		if !u.coreTaken(c) && !slices.Contains(taken, c) {
			out = append(out, c)
		}
	}
	if len(out) < n {
		return nil
	}
	return out
}

// freeDynamicPorts counts the ports of the dynamic range not yet taken.
func (u *nodeUsage) freeDynamicPorts() int {
	return u.maxPort - u.minPort + 1 - u.takenInRange
}

// forEachPort calls fn with every host port an allocation holds.
func forEachPort(ar *structs.AllocatedResources, fn func(int)) {
	for _, pm := range ar.Shared.Ports {
		fn(pm.Value)
	}
	for _, n := range ar.Shared.Networks {
		forEachNetworkPort(n, fn)
	}
	for _, t := range ar.Tasks {
		for _, n := range t.Networks {
			forEachNetworkPort(n, fn)
		}
	}
}

func forEachNetworkPort(n *structs.NetworkResource, fn func(int)) {
	for _, p := range n.ReservedPorts {
		fn(p.Value)
	}
	for _, p := range n.DynamicPorts {
		if p.Value > 0 {
			fn(p.Value)
		}
	}
}

// ParsePortList parses an operator's reserved port list such as
// "22,80,8000-8100". Malformed entries are skipped: a typo in one node's
// configuration must not stop scheduling on it, and the client validates
// the list when it loads its configuration.
func ParsePortList(s string) []int {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || start < 0 || start > 65535 {
			continue
		}
		end := start
		if isRange {
			end, err = strconv.Atoi(strings.TrimSpace(hi))
			if err != nil || end < start || end > 65535 {
				continue
			}
		}
		for p := start; p <= end; p++ {
			out = append(out, p)
		}
	}
	return out
}

// groupAsk is what one allocation of a task group needs, computed once per
// group and evaluation.
type groupAsk struct {
	res structs.ComparableResources
	// cores counts the whole cores asked for, over all tasks; their CPU
	// share depends on the node, so it is not in res.
	cores int
	// reserved lists the static ports asked for, over all networks, and
	// reservedLabels their labels, for the metric of a collision.
	reserved       []int
	reservedLabels []string
	// dynamic counts the dynamic ports asked for.
	dynamic int
}

func newGroupAsk(tg *structs.TaskGroup) *groupAsk {
	g := &groupAsk{}
	if tg.EphemeralDisk != nil {
		g.res.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	count := func(nets []*structs.NetworkResource) {
		for _, n := range nets {
			for _, p := range n.ReservedPorts {
				g.reserved = append(g.reserved, p.Value)
				g.reservedLabels = append(g.reservedLabels, p.Label)
			}
			g.dynamic += len(n.DynamicPorts)
		}
	}
	count(tg.Networks)
	for _, t := range tg.Tasks {
		if t.Resources == nil {
			continue
		}
		g.res.CPU += int64(t.Resources.CPU)
		g.cores += t.Resources.Cores
		g.res.MemoryMB += int64(t.Resources.MemoryMB)
		g.res.MemoryMaxMB += int64(t.Resources.MemoryMaxMB)
		count(t.Resources.Networks)
	}
	return g
}

// fits reports whether ask fits on the node next to what is used, and if
// not, the dimension that is exhausted.
func (u *nodeUsage) fits(ask *groupAsk) (bool, string) {
	// Cores come first: a node short of cores is also short of their CPU
	// share, and "cores" is the answer that tells the user what to change.
	if ask.cores > 0 && u.freeCores() < ask.cores {
		return false, DimensionCores
	}
	if ok, dim := u.avail.Superset(u.withAsk(ask)); !ok {
		return false, dim
	}
	for i, p := range ask.reserved {
		// A group asking twice for one static port can never fit.
		if u.portTaken(p) || slices.Contains(ask.reserved[:i], p) {
			return false, portCollision(ask.reservedLabels[i], p)
		}
	}
	if ask.dynamic > 0 && u.freeDynamicPorts() < ask.dynamic+countInRange(ask.reserved, u.minPort, u.maxPort) {
		return false, DimensionDynamicPorts
	}
	return true, ""
}

// withAsk is the node's usage with one more allocation of ask on it.
func (u *nodeUsage) withAsk(ask *groupAsk) structs.ComparableResources {
	need := u.used
	need.Add(ask.res)
	need.CPU += int64(ask.cores) * u.mhzPerCore
	return need
}

func countInRange(ports []int, lo, hi int) int {
	n := 0
	for _, p := range ports {
		if p >= lo && p <= hi {
			n++
		}
	}
	return n
}
