package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

// NodeCapacity is the largest amount of each resource that any one ready
// node offers once its reservations are taken out. Each dimension is its
// own maximum, possibly over different nodes, so a task within every
// bound may still find no single node with room for all of it; one past
// a bound can never run.
type NodeCapacity struct {
	// Nodes is how many ready nodes were looked at; 0 disables the check,
	// since an empty cluster says nothing about the nodes to come.
	Nodes    int
	CPU      int64
	MemoryMB int64
	Cores    int
}

// checkCapacity reports each resource of a task that no ready node has.
func (e *evaluator) checkCapacity(attrs hcl.Attributes, r *api.Resources) {
	c := e.capacity
	if c == nil || c.Nodes == 0 {
		return
	}
	check := func(name string, ask *int, have int64, unit string) {
		if ask == nil || int64(*ask) <= have {
			return
		}
		e.errorf(attrs[name].Expr.Range(), "Resources beyond every node",
			"%s = %d%s is more than any of the %d ready nodes offers (at most %d%s)", name, *ask, unit, c.Nodes, have, unit)
	}
	check("cpu", r.CPU, c.CPU, " MHz")
	check("cores", r.Cores, int64(c.Cores), "")
	check("memory", r.MemoryMB, c.MemoryMB, " MB")
}
