package client

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"sync"

	"github.com/orch-dev/orch/client/allocrunner"
	"github.com/orch-dev/orch/client/checks"
	"github.com/orch-dev/orch/client/serviceregistration"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// serviceHooks holds the service registration hook of each allocation
// with services (client/serviceregistration).
type serviceHooks struct {
	mu    sync.Mutex
	hooks map[string]*serviceregistration.Hook
}

func (s *serviceHooks) get(allocID string) *serviceregistration.Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hooks[allocID]
}

func (s *serviceHooks) take(allocID string) *serviceregistration.Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooks[allocID]
	delete(s.hooks, allocID)
	return h
}

func (s *serviceHooks) all() []*serviceregistration.Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*serviceregistration.Hook, 0, len(s.hooks))
	for _, h := range s.hooks {
		out = append(out, h)
	}
	clear(s.hooks)
	return out
}

// allocChanged is the alloc runners' update callback: the servers get
// the new state, the allocation's service hook sees its task states.
func (c *Client) allocChanged(alloc *structs.Allocation) {
	c.allocUpdated(alloc)
	if h := c.svc.get(alloc.ID); h != nil {
		h.Update(alloc)
	}
}

// attachServices starts the service hook of a new or restored runner
// whose group has services.
func (c *Client) attachServices(ar *allocrunner.AllocRunner, alloc *structs.Allocation) {
	h := serviceregistration.New(&serviceregistration.Config{
		Logger: c.logger, Alloc: alloc, Node: c.Node(), Region: c.cfg.Region, RPC: c.rpc,
		Restart: func(task, reason string) error { return restartTask(ar, task, reason) },
		Exec:    func(task string) checks.ExecFunc { return scriptExec(ar, task) },
	})
	if h == nil {
		return
	}
	c.svc.mu.Lock()
	if c.svc.hooks == nil {
		c.svc.hooks = make(map[string]*serviceregistration.Hook)
	}
	c.svc.hooks[alloc.ID] = h
	c.svc.mu.Unlock()
	go h.Run()
	h.Update(ar.Alloc())
}

// stopServices ends every hook without deregistering: the agent is going
// away, its tasks may outlive it, and the next agent registers them again.
func (c *Client) stopServices() {
	for _, h := range c.svc.all() {
		h.Stop(false)
	}
}

// deregisterServices takes an allocation's instances of task's services
// ("" for the group's) out of the catalog, for the alloc runner's stop
// sequence (deregister, shutdown_delay, kill).
func (c *Client) deregisterServices(allocID, task string) {
	if h := c.svc.get(allocID); h != nil {
		h.Deregister(task)
	}
}

// forgetServices ends the hook of an allocation the servers dropped.
func (c *Client) forgetServices(allocID string) {
	if h := c.svc.take(allocID); h != nil {
		h.Stop(true)
	}
}

// AllocChecksHealthy reports whether every service check of the
// allocation passes, for deployment health (health_check = "checks").
// known is false for an allocation without checks, one not running here,
// or whose checks have not all reported yet.
func (c *Client) AllocChecksHealthy(allocID string) (healthy, known bool) {
	h := c.svc.get(allocID)
	if h == nil {
		return false, false
	}
	return h.ChecksHealthy()
}

func restartTask(ar *allocrunner.AllocRunner, task, reason string) error {
	for _, tr := range ar.TaskRunners() {
		if tr.Name() == task {
			return tr.Restart(reason, true)
		}
	}
	return fmt.Errorf("restart: allocation has no task %q", task)
}

// scriptExec runs a task's script checks: a raw_exec task's as the task
// itself runs (in its directory, with its environment, from the client,
// since raw_exec does not isolate), others through the driver's ExecTask
// (docker exec); a driver without it makes the check critical, saying so.
func scriptExec(ar *allocrunner.AllocRunner, task string) checks.ExecFunc {
	for _, tr := range ar.TaskRunners() {
		if tr.Name() != task {
			continue
		}
		if tr.Task().Driver != "raw_exec" {
			return tr.Exec
		}
		dir := ar.AllocDir().TaskDir(task).Dir
		return func(ctx context.Context, command string, args []string) ([]byte, int, error) {
			return localExec(ctx, dir, tr.EnvMap(), command, args)
		}
	}
	return nil
}

func localExec(ctx context.Context, dir string, env map[string]string, command string, args []string) ([]byte, int, error) {
	cmd := exec.CommandContext(ctx, command, args...)
	cmd.Dir = dir
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out, ee.ExitCode(), nil
	}
	return out, 0, err
}
