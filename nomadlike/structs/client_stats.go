package structs

// Resource usage of an allocation's running tasks, as the client that runs
// them measures it, for GET /v1/client/allocation/{id}/stats. Field names
// (CpuStats included) are Nomad's, so its JSON and Nomad's Go client work.

// AllocResourceUsage is one sample of every running task of an allocation.
type AllocResourceUsage struct {
	// ResourceUsage sums the tasks'.
	ResourceUsage *ResourceUsage
	// Tasks holds running tasks only, by task name.
	Tasks map[string]*TaskResourceUsage
	// Timestamp is the newest task sample's, in Unix nanoseconds.
	Timestamp int64
}

// TaskResourceUsage is one sample of a task's whole process tree.
type TaskResourceUsage struct {
	ResourceUsage *ResourceUsage
	// Timestamp is when the driver took the sample, in Unix nanoseconds.
	Timestamp int64
	// Pids are the task's processes, by pid. orch's drivers measure the
	// task as a whole, so the values are nil.
	Pids map[string]*ResourceUsage
}

// ResourceUsage is memory and CPU use.
type ResourceUsage struct {
	MemoryStats *MemoryStats
	CpuStats    *CpuStats
}

// MemoryStats are in bytes. Measured names the fields the driver filled
// in; the others are zero because they were not measured, not because
// they are zero.
type MemoryStats struct {
	RSS      uint64
	Cache    uint64
	Swap     uint64
	Usage    uint64
	MaxUsage uint64
	Measured []string
}

// CpuStats: SystemMode and UserMode are percent of one core spent in each
// mode, Percent the total, and TotalTicks the same in MHz, which is how
// Nomad compares use with a task's cpu reservation.
type CpuStats struct {
	SystemMode       float64
	UserMode         float64
	TotalTicks       float64
	ThrottledPeriods uint64
	ThrottledTime    uint64
	Percent          float64
	Measured         []string
}
