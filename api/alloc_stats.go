package api

import (
	"errors"
	"net/url"
)

// AllocResourceUsage is one sample of the resource usage of an
// allocation's running tasks, as the client that runs them measured it.
type AllocResourceUsage struct {
	// ResourceUsage sums the tasks'.
	ResourceUsage *ResourceUsage
	// Tasks holds the running tasks, by name.
	Tasks map[string]*TaskResourceUsage
	// Timestamp is in Unix nanoseconds.
	Timestamp int64
}

// TaskResourceUsage is one sample of a task's whole process tree.
type TaskResourceUsage struct {
	ResourceUsage *ResourceUsage
	Timestamp     int64
	// Pids are the task's processes; orch measures the task as a whole, so
	// the values are nil.
	Pids map[string]*ResourceUsage
}

// ResourceUsage is memory and CPU use.
type ResourceUsage struct {
	MemoryStats *MemoryStats
	CpuStats    *CpuStats
}

// MemoryStats are in bytes; Measured names the fields that were measured.
type MemoryStats struct {
	RSS      uint64
	Cache    uint64
	Swap     uint64
	Usage    uint64
	MaxUsage uint64
	Measured []string
}

// CpuStats: SystemMode, UserMode and Percent are percent of one core;
// TotalTicks is the same use in MHz. Measured names the fields that were
// measured.
type CpuStats struct {
	SystemMode       float64
	UserMode         float64
	TotalTicks       float64
	ThrottledPeriods uint64
	ThrottledTime    uint64
	Percent          float64
	Measured         []string
}

// Stats samples the resource usage of the allocation's running tasks. The
// agent asked forwards the request to the agent of the allocation's node;
// sampling takes up to a couple of seconds.
func (a *Allocations) Stats(alloc *Allocation, q *QueryOptions) (*AllocResourceUsage, error) {
	if alloc == nil || alloc.ID == "" {
		return nil, errors.New("allocation stats: an allocation with an ID is required")
	}
	var out AllocResourceUsage
	if _, err := a.client.query("/v1/client/allocation/"+url.PathEscape(alloc.ID)+"/stats", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}
