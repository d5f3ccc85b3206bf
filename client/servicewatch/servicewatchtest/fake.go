// Package servicewatchtest provides an in-memory service catalog with
// blocking queries, standing in for the servers' catalog in tests of the
// DNS server and the load balancer.
package servicewatchtest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Catalog is an in-memory servicewatch.Catalog. Every change bumps one
// index and wakes every blocked query, as the servers' state store does.
type Catalog struct {
	// MaxWait bounds a blocking query; zero means 10s.
	MaxWait time.Duration

	mu      sync.Mutex
	index   uint64
	changed chan struct{}
	insts   map[servicewatch.ServiceID][]*structs.ServiceRegistration
	queries int
	// byService counts the Instances calls made per service, inflight
	// those still blocked.
	byService map[servicewatch.ServiceID]int
	inflight  map[servicewatch.ServiceID]int
}

var _ servicewatch.Catalog = (*Catalog)(nil)

// New returns an empty catalog at index 1.
func New() *Catalog {
	return &Catalog{index: 1, changed: make(chan struct{}), insts: map[servicewatch.ServiceID][]*structs.ServiceRegistration{},
		byService: map[servicewatch.ServiceID]int{}, inflight: map[servicewatch.ServiceID]int{}}
}

func (c *Catalog) bumpLocked() {
	c.index++
	close(c.changed)
	c.changed = make(chan struct{})
}

// Upsert adds or replaces instances (by ID), copying them.
func (c *Catalog) Upsert(regs ...*structs.ServiceRegistration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range regs {
		cp := *r
		id := servicewatch.ServiceID{Namespace: cp.Namespace, Name: cp.ServiceName}
		list := c.insts[id]
		out := make([]*structs.ServiceRegistration, 0, len(list)+1)
		for _, old := range list {
			if old.ID != cp.ID {
				out = append(out, old)
			}
		}
		cp.ModifyIndex = c.index + 1
		c.insts[id] = append(out, &cp)
	}
	c.bumpLocked()
}

// Delete removes the instances with these IDs.
func (c *Catalog) Delete(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	for sid, list := range c.insts {
		out := make([]*structs.ServiceRegistration, 0, len(list))
		for _, r := range list {
			if !drop[r.ID] {
				out = append(out, r)
			}
		}
		if len(out) == 0 {
			delete(c.insts, sid)
		} else {
			c.insts[sid] = out
		}
	}
	c.bumpLocked()
}

// SetStatus changes the health of one instance.
func (c *Catalog) SetStatus(id, status string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for sid, list := range c.insts {
		out := make([]*structs.ServiceRegistration, len(list))
		for i, r := range list {
			cp := *r
			if cp.ID == id {
				cp.Status = status
				cp.ModifyIndex = c.index + 1
			}
			out[i] = &cp
		}
		c.insts[sid] = out
	}
	c.bumpLocked()
}

// Queries counts the Instances calls answered, to show cached reads cost none.
func (c *Catalog) Queries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queries
}

// QueriesOf counts the Instances calls made for one service, blocking or
// not, answered or still waiting.
func (c *Catalog) QueriesOf(id servicewatch.ServiceID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byService[id]
}

// Blocked is how many Instances calls for one service are waiting now:
// a watched service has one.
func (c *Catalog) Blocked(id servicewatch.ServiceID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight[id]
}

// wait blocks until the index passes minIndex, the wait ends or ctx ends.
func (c *Catalog) wait(ctx context.Context, minIndex uint64) {
	wait := c.MaxWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if c.index > minIndex {
			c.mu.Unlock()
			return
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Instances implements servicewatch.Catalog.
func (c *Catalog) Instances(ctx context.Context, namespace, name string, minIndex uint64) ([]*structs.ServiceRegistration, uint64, error) {
	id := servicewatch.ServiceID{Namespace: namespace, Name: name}
	c.mu.Lock()
	c.byService[id]++
	c.inflight[id]++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight[id]--
		c.mu.Unlock()
	}()
	c.wait(ctx, minIndex)
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries++
	list := c.insts[servicewatch.ServiceID{Namespace: namespace, Name: name}]
	return append([]*structs.ServiceRegistration(nil), list...), c.index, nil
}

// Services implements servicewatch.Catalog.
func (c *Catalog) Services(ctx context.Context, minIndex uint64) ([]servicewatch.ServiceStub, uint64, error) {
	c.wait(ctx, minIndex)
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]servicewatch.ServiceStub, 0, len(c.insts))
	for id, list := range c.insts {
		stub := servicewatch.ServiceStub{ServiceID: id}
		for _, r := range list {
			stub.Published = stub.Published || r.Publish != nil
		}
		ids = append(ids, stub)
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Namespace != ids[j].Namespace {
			return ids[i].Namespace < ids[j].Namespace
		}
		return ids[i].Name < ids[j].Name
	})
	return ids, c.index, nil
}
