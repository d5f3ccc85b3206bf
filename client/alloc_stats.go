package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/orch-dev/orch/client/taskrunner"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

const (
	// statsInterval spaces the two samples a stats request takes of each
	// task: CPU use is a rate, and a driver's first sample has no earlier
	// one to measure it against.
	statsInterval = 500 * time.Millisecond
	// statsTimeout bounds a stats request, so a wedged driver or engine
	// costs the caller this long and not more. Docker's engine samples
	// once a second, so its second sample arrives within it.
	statsTimeout = 2 * time.Second
)

// AllocStats samples the resource usage of every running task of an
// allocation on this client, from each task's driver and all tasks at
// once, within a couple of seconds. A task that is not running, or whose
// driver sends nothing in time, is left out. An allocation this client
// does not run is an error wrapping structs.ErrNotFound.
func (c *Client) AllocStats(ctx context.Context, allocID string) (*structs.AllocResourceUsage, error) {
	ar := c.runner(allocID)
	if ar == nil {
		return nil, fmt.Errorf("allocation %q: %w", allocID, structs.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	runners := ar.TaskRunners()
	samples := make([]*structs.TaskResourceUsage, len(runners))
	var wg sync.WaitGroup
	for i, tr := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples[i] = c.sampleTask(ctx, allocID, tr)
		}()
	}
	wg.Wait()

	out := &structs.AllocResourceUsage{Tasks: make(map[string]*structs.TaskResourceUsage)}
	var all []*structs.ResourceUsage
	for i, s := range samples {
		if s == nil {
			continue
		}
		out.Tasks[runners[i].Name()] = s
		all = append(all, s.ResourceUsage)
		out.Timestamp = max(out.Timestamp, s.Timestamp)
	}
	out.ResourceUsage = sumUsage(all)
	return out, nil
}

// sampleTask takes up to two samples of a task and reports the later one,
// with user and system CPU over the time between them. It returns nil when
// the task is not running or its driver sent nothing before ctx ended.
func (c *Client) sampleTask(ctx context.Context, allocID string, tr *taskrunner.TaskRunner) *structs.TaskResourceUsage {
	ctx, cancel := context.WithCancel(ctx)
	// Cancelling ends the driver's stream once two samples are in.
	defer cancel()
	ch, err := tr.Stats(ctx, statsInterval)
	if err != nil {
		if !errors.Is(err, taskrunner.ErrNotRunning) {
			c.logger.Warn("task stats unavailable", "alloc_id", allocID, "task", tr.Name(), "error", err)
		}
		return nil
	}
	var first, last *sdk.TaskResourceUsage
	for first == nil || last == first {
		select {
		case u, ok := <-ch:
			if !ok {
				return taskUsage(first, last)
			}
			if first == nil {
				first = u
			}
			last = u
		case <-ctx.Done():
			if first == nil {
				c.logger.Debug("no task stats before the deadline", "alloc_id", allocID, "task", tr.Name())
			}
			return taskUsage(first, last)
		}
	}
	return taskUsage(first, last)
}

// taskUsage converts a driver's samples to Nomad's shape; last is the one
// reported, first (when earlier) gives the user and system CPU rates.
func taskUsage(first, last *sdk.TaskResourceUsage) *structs.TaskResourceUsage {
	if last == nil {
		return nil
	}
	cpu := &structs.CpuStats{
		Percent:    last.CPUPercent,
		TotalTicks: last.CPUTotalMHz,
		Measured:   []string{"Percent", "Total Ticks"},
	}
	if elapsedMS := float64(last.Timestamp-first.Timestamp) / 1e6; first != last && elapsedMS > 0 {
		cpu.UserMode = max(0, (last.CPUUserMS-first.CPUUserMS)/elapsedMS*100)
		cpu.SystemMode = max(0, (last.CPUSystemMS-first.CPUSystemMS)/elapsedMS*100)
		cpu.Measured = append(cpu.Measured, "User Mode", "System Mode")
	}
	u := &structs.TaskResourceUsage{
		ResourceUsage: &structs.ResourceUsage{
			// The drivers report resident and page-cache memory apart;
			// their sum is what a cgroup's usage counts.
			MemoryStats: &structs.MemoryStats{
				RSS:      last.MemoryRSS,
				Cache:    last.MemoryCache,
				Swap:     last.MemorySwap,
				Usage:    last.MemoryRSS + last.MemoryCache,
				Measured: []string{"RSS", "Cache", "Swap", "Usage"},
			},
			CpuStats: cpu,
		},
		Timestamp: last.Timestamp,
	}
	if len(last.Pids) > 0 {
		u.Pids = make(map[string]*structs.ResourceUsage, len(last.Pids))
		for _, pid := range last.Pids {
			u.Pids[strconv.Itoa(pid)] = nil
		}
	}
	return u
}

// sumUsage adds the tasks' usage into the allocation's. Measured lists
// what every task measured.
func sumUsage(tasks []*structs.ResourceUsage) *structs.ResourceUsage {
	mem, cpu := &structs.MemoryStats{}, &structs.CpuStats{}
	for i, t := range tasks {
		m, c := t.MemoryStats, t.CpuStats
		mem.RSS += m.RSS
		mem.Cache += m.Cache
		mem.Swap += m.Swap
		mem.Usage += m.Usage
		mem.MaxUsage += m.MaxUsage
		cpu.Percent += c.Percent
		cpu.TotalTicks += c.TotalTicks
		cpu.UserMode += c.UserMode
		cpu.SystemMode += c.SystemMode
		cpu.ThrottledPeriods += c.ThrottledPeriods
		cpu.ThrottledTime += c.ThrottledTime
		if i == 0 {
			mem.Measured, cpu.Measured = m.Measured, c.Measured
			continue
		}
		mem.Measured, cpu.Measured = common(mem.Measured, m.Measured), common(cpu.Measured, c.Measured)
	}
	return &structs.ResourceUsage{MemoryStats: mem, CpuStats: cpu}
}

func common(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}
