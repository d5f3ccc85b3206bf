package client

import (
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// allocUpdated queues the client side of an allocation for the servers;
// a newer state of the same allocation replaces a queued one, which is
// what lets many task events share one RPC.
func (c *Client) allocUpdated(alloc *structs.Allocation) {
	update := &structs.Allocation{
		ID:                alloc.ID,
		Namespace:         alloc.Namespace,
		EvalID:            alloc.EvalID,
		NodeID:            alloc.NodeID,
		JobID:             alloc.JobID,
		TaskGroup:         alloc.TaskGroup,
		ClientStatus:      alloc.ClientStatus,
		ClientDescription: alloc.ClientDescription,
		TaskStates:        alloc.TaskStates,
		// The servers take only Healthy and Timestamp from it.
		DeploymentStatus: alloc.DeploymentStatus.Copy(),
	}
	c.updateMu.Lock()
	c.pending[alloc.ID] = update
	c.updateMu.Unlock()
	select {
	case c.updateCh <- struct{}{}:
	default:
	}
}

// syncAllocUpdates sends queued updates, at most once per UpdateInterval.
// The first change after a quiet period goes out at once; changes that
// follow within the interval wait and travel together.
func (c *Client) syncAllocUpdates() {
	bo := newBackoff(retryMin, retryMax)
	var last time.Time
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.updateCh:
		}
		if wait := c.cfg.UpdateInterval - time.Since(last); wait > 0 && !sleepCtx(c.ctx, wait) {
			return
		}
		last = time.Now()
		if err := c.sendUpdates(); err != nil {
			wait := bo.next()
			c.logger.Error("failed to send allocation updates, retrying", "error", err, "retry_in", wait)
			if !sleepCtx(c.ctx, wait) {
				return
			}
			select {
			case c.updateCh <- struct{}{}:
			default: // already signalled by a newer update
			}
			continue
		}
		bo.reset()
	}
}

// sendUpdates sends everything queued in one RPC; on failure the updates
// are queued again unless a newer state replaced them meanwhile.
func (c *Client) sendUpdates() error {
	c.updateMu.Lock()
	batch := make([]*structs.Allocation, 0, len(c.pending))
	for _, a := range c.pending {
		batch = append(batch, a)
	}
	clear(c.pending)
	c.updateMu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	req := &structs.AllocUpdateRequest{Alloc: batch, WriteRequest: structs.WriteRequest{Region: c.cfg.Region}}
	var resp structs.GenericResponse
	if err := c.rpc.RPC(structs.NodeUpdateAllocRPC, req, &resp); err != nil {
		c.updateMu.Lock()
		for _, a := range batch {
			if _, newer := c.pending[a.ID]; !newer {
				c.pending[a.ID] = a
			}
		}
		c.updateMu.Unlock()
		return err
	}
	c.logger.Trace("sent allocation updates", "count", len(batch))
	return nil
}

// flushUpdates sends what is queued, retrying until timeout, for a
// shutdown that wants the servers to see the final states.
func (c *Client) flushUpdates(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		err := c.sendUpdates()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.logger.Warn("could not send final allocation updates", "error", err)
			return
		}
		if !sleepCtx(c.ctx, retryMin) {
			return
		}
	}
}
