package allocrunner

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeClock is a Clock that moves only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// pending is how many timers have not fired yet.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// advance moves the clock and fires the timers now due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.ch <- c.now
	}
	c.timers = kept
}

// TestHealthWatcher drives the watcher goroutine with a fake clock: it
// waits for min_healthy_time, starts over when a task restarts, and
// reports once.
func TestHealthWatcher(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	var mu sync.Mutex
	state := &structs.TaskState{State: structs.TaskStateRunning, StartedAt: t0}
	var reports []time.Time
	var verdicts []bool
	changed := make(chan struct{}, 1)
	w := &healthWatcher{
		logger:   clienttest.Logger(t),
		clock:    clock,
		tasks:    []*structs.Task{{Name: "web"}},
		strategy: &structs.UpdateStrategy{MinHealthyTime: 10 * time.Second, HealthyDeadline: time.Minute},
		states: func() (map[string]*structs.TaskState, string) {
			mu.Lock()
			defer mu.Unlock()
			return map[string]*structs.TaskState{"web": state.Copy()}, structs.AllocClientStatusRunning
		},
		changed: changed,
		report: func(healthy bool, at time.Time) {
			mu.Lock()
			defer mu.Unlock()
			reports, verdicts = append(reports, at), append(verdicts, healthy)
		},
	}
	done := make(chan struct{})
	go func() { defer close(done); w.run(context.Background()) }()
	waitTimers := func(n int) {
		t.Helper()
		clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
			return clock.pending() >= n, fmt.Sprintf("%d timers set, want %d", clock.pending(), n)
		})
	}
	reported := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(reports)
	}

	waitTimers(1)
	clock.advance(6 * time.Second)
	// The task restarts at t0+6s: the wait starts over from there.
	mu.Lock()
	state.LastRestart = t0.Add(5 * time.Second)
	state.Events = append(state.Events, &structs.TaskEvent{Type: structs.TaskStarted, Time: t0.Add(6 * time.Second).UnixNano()})
	mu.Unlock()
	changed <- struct{}{}
	waitTimers(2) // the first timer (t0+10s) plus the new one (t0+16s)
	clock.advance(4 * time.Second)
	// Asked again at t0+10s, when the first wait would have ended.
	changed <- struct{}{}
	waitTimers(2) // the t0+16s timer and the one set by this decision
	if reported() != 0 {
		t.Fatal("reported healthy at t0+10s although the task restarted at t0+6s")
	}
	clock.advance(6 * time.Second)
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("watcher did not finish")
	}
	if len(reports) != 1 || !verdicts[0] || !reports[0].Equal(t0.Add(16*time.Second)) {
		t.Fatalf("reports %v %v, want one healthy at t0+16s", verdicts, reports)
	}
}

// TestAllocRunner_WatchesHealthOnlyInADeployment checks when the runner
// starts judging health at all.
func TestAllocRunner_WatchesHealthOnlyInADeployment(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(a *structs.Allocation)
		want   bool
	}{
		{"in a deployment", func(a *structs.Allocation) {}, true},
		{"no deployment", func(a *structs.Allocation) { a.DeploymentID = "" }, false},
		{"manual health checks", func(a *structs.Allocation) {
			a.Job.TaskGroups[0].Update.HealthCheck = structs.UpdateHealthCheckManual
		}, false},
		{"health already set", func(a *structs.Allocation) {
			healthy := true
			a.DeploymentStatus = &structs.AllocDeploymentStatus{Healthy: &healthy}
		}, false},
		{"no update block", func(a *structs.Allocation) { a.Job.TaskGroups[0].Update = nil }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alloc := healthAlloc(map[string]interface{}{}, time.Hour)
			tc.change(alloc)
			logger := clienttest.Logger(t)
			ar, err := New(&Config{Logger: logger, Alloc: alloc, AllocRoot: t.TempDir(), Clock: &fakeClock{},
				Drivers: map[string]sdk.Driver{mockdriver.Name: mockdriver.New(logger)}})
			if err != nil {
				t.Fatal(err)
			}
			ar.watchHealth(alloc)
			ar.mu.Lock()
			watching := ar.health.cancel != nil
			ar.mu.Unlock()
			ar.stopHealth()
			if watching != tc.want {
				t.Fatalf("watching %v, want %v", watching, tc.want)
			}
		})
	}
}

// healthAlloc is an allocation of a deployment whose mock task runs with
// config, judged healthy after minHealthy.
func healthAlloc(config map[string]interface{}, minHealthy time.Duration) *structs.Allocation {
	alloc := testAlloc(structs.JobTypeService, config)
	alloc.Job.TaskGroups[0].Update = &structs.UpdateStrategy{
		MaxParallel: 1, HealthCheck: structs.UpdateHealthCheckTaskStates, Stagger: time.Second,
		MinHealthyTime: minHealthy, HealthyDeadline: minHealthy + 30*time.Second,
	}
	alloc.DeploymentID = "d-1"
	alloc.DeploymentStatus = &structs.AllocDeploymentStatus{Canary: true}
	return alloc
}

// TestAllocRunner_ReportsHealth runs allocations of a deployment on the
// mock driver and waits for the verdict to come with an update.
func TestAllocRunner_ReportsHealth(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		config  map[string]interface{}
		healthy bool
	}{
		{"a task that keeps running is healthy", map[string]interface{}{}, true},
		{"a task that fails is unhealthy", map[string]interface{}{"run_for": "10ms", "exit_code": 1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alloc := healthAlloc(tc.config, 100*time.Millisecond)
			alloc.Job.TaskGroups[0].Tasks[0].RestartPolicy.Attempts = 0
			h := newHarness(t, alloc)
			var got *structs.Allocation
			clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
				h.mu.Lock()
				defer h.mu.Unlock()
				got = h.last
				return got != nil && got.DeploymentStatus.HasHealth(), fmt.Sprintf("last update %+v", got)
			})
			ds := got.DeploymentStatus
			if ds.IsHealthy() != tc.healthy || ds.Timestamp.IsZero() || !ds.Canary {
				t.Fatalf("deployment status %+v, want healthy=%v with a timestamp and the server's Canary flag", ds, tc.healthy)
			}
			if tc.healthy {
				started := got.TaskStates["web"].StartedAt
				if ds.Timestamp.Sub(started) < 100*time.Millisecond {
					t.Fatalf("healthy at %v, only %v after the task started", ds.Timestamp, ds.Timestamp.Sub(started))
				}
			}
		})
	}
}
