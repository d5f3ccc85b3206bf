package client

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	"github.com/orch-dev/orch/drivers/rawexec"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestClient_AllocStats runs real raw_exec tasks, one spinning and one
// asleep, and checks the stats tell them apart and add up.
func TestClient_AllocStats(t *testing.T) {
	t.Parallel()
	tc := newTestClient(t, newFakeServer(), func(c *Config) {
		c.Drivers = map[string]sdk.Driver{rawexec.Name: rawexec.New(clienttest.Logger(t))}
	})
	tc.waitReady(t)
	job := mock.Job()
	busy := job.TaskGroups[0].Tasks[0]
	busy.Name, busy.Driver, busy.KillTimeout = "busy", rawexec.Name, time.Second
	busy.Config = map[string]interface{}{"command": "/bin/sh", "args": []interface{}{"-c", "while :; do :; done"}}
	idle := busy.Copy()
	idle.Name = "idle"
	idle.Config = map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"60"}}
	job.TaskGroups[0].Tasks = append(job.TaskGroups[0].Tasks, idle)
	a := mock.AllocFor(job, tc.Node(), 0)
	tc.server.upsertAllocs(a)
	tc.waitServerStatus(t, structs.AllocClientStatusRunning, a.ID)

	var got *structs.AllocResourceUsage
	// The server hears "running" as the tasks start; the spinning shell
	// may need a moment before its first sample shows it.
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		var err error
		got, err = tc.AllocStats(context.Background(), a.ID)
		if err != nil {
			return false, err.Error()
		}
		if len(got.Tasks) != 2 || got.Tasks["busy"].ResourceUsage.CpuStats.Percent < 20 {
			return false, fmt.Sprintf("tasks %v", statsSummary(got))
		}
		return true, ""
	})
	for name, task := range got.Tasks {
		ru := task.ResourceUsage
		if ru.MemoryStats.RSS == 0 || len(task.Pids) == 0 || task.Timestamp == 0 {
			t.Errorf("task %s: RSS %d, pids %v, timestamp %d; want all set", name, ru.MemoryStats.RSS, task.Pids, task.Timestamp)
		}
		if !reflect.DeepEqual(ru.CpuStats.Measured, []string{"Percent", "Total Ticks", "User Mode", "System Mode"}) {
			t.Errorf("task %s: CPU measured %v, want two samples' worth", name, ru.CpuStats.Measured)
		}
	}
	if p := got.Tasks["idle"].ResourceUsage.CpuStats.Percent; p > 10 {
		t.Errorf("sleeping task uses %.1f%% CPU", p)
	}
	if busyUser := got.Tasks["busy"].ResourceUsage.CpuStats.UserMode; busyUser < 20 {
		t.Errorf("spinning task's user mode CPU = %.1f%%, want most of a core", busyUser)
	}
	sum := got.Tasks["busy"].ResourceUsage.MemoryStats.RSS + got.Tasks["idle"].ResourceUsage.MemoryStats.RSS
	if got.ResourceUsage.MemoryStats.RSS != sum {
		t.Errorf("allocation RSS %d, want the tasks' sum %d", got.ResourceUsage.MemoryStats.RSS, sum)
	}

	if _, err := tc.AllocStats(context.Background(), "no-such-alloc"); !errors.Is(err, structs.ErrNotFound) {
		t.Errorf("stats of an unknown allocation: %v, want ErrNotFound", err)
	}
	tc.server.stopAlloc(a.ID)
	tc.waitServerStatus(t, structs.AllocClientStatusComplete, a.ID)
	got, err := tc.AllocStats(context.Background(), a.ID)
	if err != nil || len(got.Tasks) != 0 {
		t.Errorf("stats of a stopped allocation = %v, %v; want no tasks", statsSummary(got), err)
	}
}

func statsSummary(u *structs.AllocResourceUsage) map[string]string {
	if u == nil {
		return nil
	}
	out := map[string]string{}
	for name, task := range u.Tasks {
		out[name] = fmt.Sprintf("cpu %.1f%% rss %d", task.ResourceUsage.CpuStats.Percent, task.ResourceUsage.MemoryStats.RSS)
	}
	return out
}

func TestTaskUsage(t *testing.T) {
	t.Parallel()
	first := &sdk.TaskResourceUsage{Timestamp: 1e9, CPUUserMS: 100, CPUSystemMS: 50}
	second := &sdk.TaskResourceUsage{
		Timestamp: 1.5e9, CPUPercent: 80, CPUTotalMHz: 2000, CPUUserMS: 400, CPUSystemMS: 60,
		MemoryRSS: 10 << 20, MemoryCache: 2 << 20, MemorySwap: 1 << 20, Pids: []int{7, 9},
	}
	cases := []struct {
		name        string
		first, last *sdk.TaskResourceUsage
		want        *structs.TaskResourceUsage
	}{
		{name: "no sample", want: nil},
		{name: "one sample has no mode split", first: second, last: second, want: &structs.TaskResourceUsage{
			Timestamp: 1.5e9, Pids: map[string]*structs.ResourceUsage{"7": nil, "9": nil},
			ResourceUsage: &structs.ResourceUsage{
				MemoryStats: &structs.MemoryStats{RSS: 10 << 20, Cache: 2 << 20, Swap: 1 << 20, Usage: 12 << 20, Measured: []string{"RSS", "Cache", "Swap", "Usage"}},
				CpuStats:    &structs.CpuStats{Percent: 80, TotalTicks: 2000, Measured: []string{"Percent", "Total Ticks"}},
			},
		}},
		{name: "two samples give user and system rates", first: first, last: second, want: &structs.TaskResourceUsage{
			Timestamp: 1.5e9, Pids: map[string]*structs.ResourceUsage{"7": nil, "9": nil},
			ResourceUsage: &structs.ResourceUsage{
				MemoryStats: &structs.MemoryStats{RSS: 10 << 20, Cache: 2 << 20, Swap: 1 << 20, Usage: 12 << 20, Measured: []string{"RSS", "Cache", "Swap", "Usage"}},
				// 300 ms user and 10 ms system over 500 ms.
				CpuStats: &structs.CpuStats{Percent: 80, TotalTicks: 2000, UserMode: 60, SystemMode: 2,
					Measured: []string{"Percent", "Total Ticks", "User Mode", "System Mode"}},
			},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := taskUsage(c.first, c.last)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("taskUsage =\n%#v\nwant\n%#v", got, c.want)
			}
		})
	}
}

func TestSumUsage(t *testing.T) {
	t.Parallel()
	a := &structs.ResourceUsage{
		MemoryStats: &structs.MemoryStats{RSS: 1, Cache: 2, Usage: 3, Measured: []string{"RSS", "Cache", "Usage"}},
		CpuStats:    &structs.CpuStats{Percent: 10, TotalTicks: 100, UserMode: 5, Measured: []string{"Percent", "User Mode"}},
	}
	b := &structs.ResourceUsage{
		MemoryStats: &structs.MemoryStats{RSS: 10, Cache: 20, Usage: 30, Measured: []string{"RSS", "Usage"}},
		CpuStats:    &structs.CpuStats{Percent: 1, TotalTicks: 10, Measured: []string{"Percent"}},
	}
	want := &structs.ResourceUsage{
		MemoryStats: &structs.MemoryStats{RSS: 11, Cache: 22, Usage: 33, Measured: []string{"RSS", "Usage"}},
		CpuStats:    &structs.CpuStats{Percent: 11, TotalTicks: 110, UserMode: 5, Measured: []string{"Percent"}},
	}
	if got := sumUsage([]*structs.ResourceUsage{a, b}); !reflect.DeepEqual(got, want) {
		t.Errorf("sumUsage =\n%#v\nwant\n%#v", got, want)
	}
	if got := sumUsage(nil); got.MemoryStats.RSS != 0 || got.CpuStats.Measured != nil {
		t.Errorf("sumUsage(nil) = %#v, want zeros", got)
	}
}
