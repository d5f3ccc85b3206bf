package client

import (
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// allocQueryWait is the longest a blocking allocation query waits on the
// server before it returns unchanged and is asked again.
const allocQueryWait = 5 * time.Minute

// watchAllocations follows the allocations placed on the node with
// blocking queries and keeps one alloc runner per allocation.
func (c *Client) watchAllocations() {
	bo := newBackoff(retryMin, retryMax)
	var index uint64
	for {
		next, err := c.pollAllocations(index)
		if c.ctx.Err() != nil {
			return
		}
		if err != nil {
			wait := bo.next()
			c.logger.Error("failed to fetch allocations, retrying", "error", err, "retry_in", wait)
			if !sleepCtx(c.ctx, wait) {
				return
			}
			continue
		}
		bo.reset()
		index = next
	}
}

// pollAllocations blocks until the node's allocations change past index,
// pulls the changed ones and applies them. It returns the index to block
// on next; on error the caller retries from the old index.
func (c *Client) pollAllocations(index uint64) (uint64, error) {
	c.nodeMu.Lock()
	req := &structs.NodeSpecificRequest{
		NodeID:   c.node.ID,
		SecretID: c.node.SecretID,
		QueryOptions: structs.QueryOptions{
			Region: c.cfg.Region, MinQueryIndex: index, MaxQueryTime: allocQueryWait,
		},
	}
	c.nodeMu.Unlock()
	resp, err := c.blockingGetClientAllocs(req)
	if err != nil {
		return index, err
	}
	// An equal index is a query that timed out with nothing new. A lower
	// one means the servers' state was reset: take it as the new truth.
	if resp.Index == index && index != 0 {
		return index, nil
	}
	pull, removed := c.diffAllocs(resp.Allocs)
	if len(pull) > 0 {
		allocs, err := c.fetchAllocs(pull, resp.Index)
		if err != nil {
			return index, err
		}
		c.persistAllocs(allocs)
		for _, a := range allocs {
			c.applyAlloc(a)
		}
	}
	for _, id := range removed {
		c.removeAlloc(id)
	}
	return resp.Index, nil
}

// diffAllocs returns the allocations whose server side changed since they
// were pulled, and those the servers no longer list for the node.
func (c *Client) diffAllocs(current map[string]uint64) (pull, removed []string) {
	c.allocMu.RLock()
	defer c.allocMu.RUnlock()
	for id, modIndex := range current {
		if seen, ok := c.allocIndex[id]; !ok || modIndex > seen {
			pull = append(pull, id)
		}
	}
	for id := range c.allocIndex {
		if _, ok := current[id]; !ok {
			removed = append(removed, id)
		}
	}
	return pull, removed
}

func (c *Client) fetchAllocs(ids []string, atIndex uint64) ([]*structs.Allocation, error) {
	req := &structs.AllocsGetRequest{
		AllocIDs: ids,
		// Ask for a state at least as new as the listing, so a lagging
		// server cannot hand back allocations older than it advertised.
		QueryOptions: structs.QueryOptions{Region: c.cfg.Region, MinQueryIndex: atIndex - 1},
	}
	var resp structs.AllocsGetResponse
	if err := c.rpc.RPC(structs.AllocGetAllocsRPC, req, &resp); err != nil {
		return nil, err
	}
	return resp.Allocs, nil
}

// applyAlloc hands a pulled allocation to its runner, creating the runner
// for a new allocation.
func (c *Client) applyAlloc(alloc *structs.Allocation) {
	c.allocMu.Lock()
	c.allocIndex[alloc.ID] = alloc.AllocModifyIndex
	ar, exists := c.runners[alloc.ID]
	c.allocMu.Unlock()
	if exists {
		ar.Update(alloc)
		return
	}
	logger := c.logger.With("alloc_id", alloc.ID)
	if alloc.ClientTerminalStatus() {
		// Finished before this agent started; nothing left to run.
		logger.Debug("ignoring finished allocation", "client_status", alloc.ClientStatus)
		return
	}
	if alloc.ServerTerminalStatus() {
		// Stopped before it ever ran here: close it out so the job settles.
		done := *alloc
		done.ClientStatus, done.ClientDescription = structs.AllocClientStatusComplete, "Stopped before it started"
		c.allocUpdated(&done)
		return
	}
	ar, err := c.newAllocRunner(alloc, nil)
	if err != nil {
		logger.Error("cannot run allocation", "error", err)
		failed := *alloc
		failed.ClientStatus, failed.ClientDescription = structs.AllocClientStatusFailed, err.Error()
		c.allocUpdated(&failed)
		return
	}
	c.allocMu.Lock()
	c.runners[alloc.ID] = ar
	c.allocMu.Unlock()
	logger.Debug("starting allocation", "job_id", alloc.JobID, "task_group", alloc.TaskGroup)
	go ar.Run()
}

// removeAlloc destroys the runner of an allocation the servers dropped
// (garbage-collected), tasks and directory included.
func (c *Client) removeAlloc(id string) {
	c.allocMu.Lock()
	ar := c.runners[id]
	delete(c.runners, id)
	delete(c.allocIndex, id)
	c.allocMu.Unlock()
	c.forgetServices(id)
	if ar == nil {
		return
	}
	c.logger.Debug("destroying allocation removed by the servers", "alloc_id", id)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := ar.Destroy(); err != nil {
			c.logger.Warn("failed to destroy allocation", "alloc_id", id, "error", err)
		}
		if err := c.db.DeleteAllocation(id); err != nil {
			c.logger.Warn("failed to forget destroyed allocation", "alloc_id", id, "error", err)
		}
	}()
}

// blockingGetClientAllocs runs the blocking query in its own goroutine so
// Shutdown need not wait up to allocQueryWait for the servers to answer; an
// abandoned query finishes on its own and its reply is dropped.
func (c *Client) blockingGetClientAllocs(req *structs.NodeSpecificRequest) (*structs.NodeClientAllocsResponse, error) {
	type result struct {
		resp *structs.NodeClientAllocsResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var resp structs.NodeClientAllocsResponse
		err := c.rpc.RPC(structs.NodeGetClientAllocsRPC, req, &resp)
		done <- result{&resp, err}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-c.ctx.Done():
		return nil, c.ctx.Err()
	}
}
