package client

import (
	"github.com/orch-dev/orch/client/allocrunner"
	"github.com/orch-dev/orch/client/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// newAllocRunner builds the runner of alloc; restored is what an earlier
// agent persisted of its tasks, nil for a new allocation.
func (c *Client) newAllocRunner(alloc *structs.Allocation, restored map[string]*state.TaskRecord) (*allocrunner.AllocRunner, error) {
	ar, err := allocrunner.New(&allocrunner.Config{
		Logger:    c.logger,
		Alloc:     alloc,
		Node:      c.Node(),
		Region:    c.cfg.Region,
		Drivers:   c.cfg.Drivers,
		AllocRoot: c.allocDir,
		OnUpdate:  c.allocChanged,
		Store:     c.db,
		Restored:  restored,
		Catalog:   c.rpc,
		// Looked up per call: the services hook is attached after New.
		ChecksHealthy: c.AllocChecksHealthy,
		Deregister:    func(task string) { c.deregisterServices(alloc.ID, task) },
	})
	if err != nil {
		return nil, err
	}
	c.attachServices(ar, alloc)
	return ar, nil
}

// persistAllocs stores the pulled allocations that run here, in one
// transaction and before any of their tasks starts, so that a task the
// next agent finds a handle for always has its allocation. A failed write
// is logged: it costs recovery after a restart, not running the tasks.
func (c *Client) persistAllocs(pulled []*structs.Allocation) {
	store := make([]*structs.Allocation, 0, len(pulled))
	for _, a := range pulled {
		ar := c.runner(a.ID)
		switch {
		case ar == nil && (a.ClientTerminalStatus() || a.ServerTerminalStatus()):
			continue // will not run here
		case a.Job == nil && ar != nil:
			// The server may omit an unchanged job; keep the stored one.
			cp := *a
			cp.Job = ar.Alloc().Job
			a = &cp
		case a.Job == nil:
			continue
		}
		store = append(store, a)
	}
	if err := c.db.PutAllocations(store); err != nil {
		c.logger.Warn("failed to persist allocations", "count", len(store), "error", err)
	}
}

// restoreAllocs rebuilds the alloc runners an earlier agent left in the
// state database. Each runner recovers its tasks from their driver
// handles as it starts: recovered tasks keep running untouched, lost ones
// go through their restart policy. The allocations' server side is then
// reconciled by the first allocation poll, as for any change: the
// persisted AllocModifyIndex makes it pull what changed meanwhile and
// drop what the servers no longer list.
func (c *Client) restoreAllocs() {
	recs, broken, err := c.db.Allocations()
	if err != nil {
		c.logger.Error("cannot read persisted allocations; their tasks will not be recovered", "error", err)
		return
	}
	for id, berr := range broken {
		c.logger.Error("dropping unreadable persisted allocation", "alloc_id", id, "error", berr)
		if err := c.db.DeleteAllocation(id); err != nil {
			c.logger.Warn("failed to drop unreadable allocation", "alloc_id", id, "error", err)
		}
	}
	for _, rec := range recs {
		alloc := rec.Alloc
		ar, err := c.newAllocRunner(alloc, rec.Tasks)
		if err != nil {
			c.logger.Error("cannot restore allocation", "alloc_id", alloc.ID, "error", err)
			continue
		}
		c.allocMu.Lock()
		c.runners[alloc.ID] = ar
		c.allocIndex[alloc.ID] = alloc.AllocModifyIndex
		c.allocMu.Unlock()
		go ar.Run()
	}
	if len(recs) > 0 {
		c.logger.Info("restored allocations", "count", len(recs))
	}
}
