package structs

import "time"

const (
	// Nomad's defaults for a task's resources block.
	DefaultResourcesCPU      = 100
	DefaultResourcesMemoryMB = 300
	DefaultEphemeralDiskMB   = 300

	DefaultMinDynamicPort = 20000
	DefaultMaxDynamicPort = 32000
)

// Resources a task asks for.
type Resources struct {
	CPU         int
	Cores       int
	MemoryMB    int
	MemoryMaxMB int
	DiskMB      int
	Networks    []*NetworkResource
}

// NetworkResource asks for ports in a network.
type NetworkResource struct {
	Mode          string
	Device        string
	CIDR          string
	IP            string
	MBits         int
	ReservedPorts []Port
	DynamicPorts  []Port
}

// Port is a labelled port. Value is fixed for reserved ports and assigned by
// the scheduler for dynamic ones; To is the port inside the task's namespace.
type Port struct {
	Label       string
	Value       int
	To          int
	HostNetwork string
}

// NodeResources is what a node offers to the scheduler.
type NodeResources struct {
	Cpu            NodeCpuResources
	Memory         NodeMemoryResources
	Disk           NodeDiskResources
	Networks       []*NetworkResource
	MinDynamicPort int
	MaxDynamicPort int
}

type NodeCpuResources struct {
	CpuShares          int64
	TotalCpuCores      uint16
	ReservableCpuCores []uint16
}

type NodeMemoryResources struct {
	MemoryMB int64
}

type NodeDiskResources struct {
	DiskMB int64
}

// NodeReservedResources is held back from scheduling on a node.
type NodeReservedResources struct {
	Cpu      NodeReservedCpuResources
	Memory   NodeReservedMemoryResources
	Disk     NodeReservedDiskResources
	Networks NodeReservedNetworkResources
}

type NodeReservedCpuResources struct {
	CpuShares uint64
}

type NodeReservedMemoryResources struct {
	MemoryMB uint64
}

type NodeReservedDiskResources struct {
	DiskMB uint64
}

type NodeReservedNetworkResources struct {
	// ReservedHostPorts is a comma-separated list of ports and ranges.
	ReservedHostPorts string
}

// AllocatedResources is what the scheduler granted an allocation.
type AllocatedResources struct {
	Tasks  map[string]*AllocatedTaskResources
	Shared AllocatedSharedResources
}

// AllocatedTaskResources is one task's grant.
type AllocatedTaskResources struct {
	Cpu      AllocatedCpuResources
	Memory   AllocatedMemoryResources
	Networks []*NetworkResource
}

// AllocatedSharedResources is shared by every task of an allocation.
type AllocatedSharedResources struct {
	DiskMB   int64
	Networks []*NetworkResource
	Ports    []PortMapping
}

// PortMapping binds a port label to the host port assigned to it.
type PortMapping struct {
	Label  string
	Value  int
	To     int
	HostIP string
}

type AllocatedCpuResources struct {
	CpuShares     int64
	ReservedCores []uint16
}

type AllocatedMemoryResources struct {
	MemoryMB    int64
	MemoryMaxMB int64
}

// DriverInfo is a driver's fingerprint on a node.
type DriverInfo struct {
	Attributes        map[string]string
	Detected          bool
	Healthy           bool
	HealthDescription string
	UpdateTime        time.Time
}

// Comparable sums an allocation's resources into the dimensions the
// scheduler packs on.
func (a *AllocatedResources) Comparable() ComparableResources {
	var c ComparableResources
	if a == nil {
		return c
	}
	for _, t := range a.Tasks {
		c.CPU += t.Cpu.CpuShares
		c.MemoryMB += t.Memory.MemoryMB
		c.MemoryMaxMB += t.Memory.MemoryMaxMB
	}
	c.DiskMB = a.Shared.DiskMB
	return c
}

// ComparableResources is a flat view of resources for fit checks and scores.
type ComparableResources struct {
	CPU         int64
	MemoryMB    int64
	MemoryMaxMB int64
	DiskMB      int64
}

// Add adds o to c.
func (c *ComparableResources) Add(o ComparableResources) {
	c.CPU += o.CPU
	c.MemoryMB += o.MemoryMB
	c.MemoryMaxMB += o.MemoryMaxMB
	c.DiskMB += o.DiskMB
}

// Superset reports whether c covers o, and if not the first dimension that
// falls short ("cpu", "memory", "disk"), as used in placement metrics.
func (c ComparableResources) Superset(o ComparableResources) (bool, string) {
	switch {
	case c.CPU < o.CPU:
		return false, "cpu"
	case c.MemoryMB < o.MemoryMB:
		return false, "memory"
	case c.DiskMB < o.DiskMB:
		return false, "disk"
	}
	return true, ""
}
