package allocrunner

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// stopLog records, in order, what the stop sequence did: each
// deregistration with whether the task had already been told to stop.
type stopLog struct {
	mu    sync.Mutex
	steps []string
}

func (l *stopLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps = append(l.steps, s)
}

func (l *stopLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.steps)
}

func hasEventType(st *structs.TaskState, typ string) bool {
	return slices.Contains(eventTypes(st), typ)
}

// A server stop deregisters the group's services, waits the group's
// shutdown_delay, deregisters the task's services, waits the task's
// delay, and only then kills the task; the delays run on the injected
// clock, so the test moves time itself and knows the sequence is waiting
// (a timer is armed) when it looks.
func TestAllocRunner_ShutdownDelay(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		group, task time.Duration
	}{
		{"no delays", 0, 0},
		{"group delay", 30 * time.Second, 0},
		{"task delay", 0, 10 * time.Second},
		{"group then task delay", 30 * time.Second, 10 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
			tg := alloc.Job.TaskGroups[0]
			taskName := tg.Tasks[0].Name
			if tc.group > 0 {
				tg.ShutdownDelay = &tc.group
			}
			tg.Tasks[0].ShutdownDelay = tc.task
			clock := &fakeClock{now: time.Unix(1000, 0)}
			log := &stopLog{}
			var h *harness
			h = newHarnessWith(t, alloc, func(c *Config) {
				c.Clock = clock
				c.Deregister = func(task string) {
					st := h.ar.TaskRunners()[0].State()
					log.add(fmt.Sprintf("deregister %q killing=%v", task, hasEventType(st, structs.TaskKilling)))
				}
			})
			h.waitStatus(structs.AllocClientStatusRunning)

			stop := alloc.Copy()
			stop.DesiredStatus = structs.AllocDesiredStatusStop
			h.ar.Update(stop)
			wantLog := []string{`deregister "" killing=false`}
			waitLog := func(want []string) {
				t.Helper()
				clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
					got := log.get()
					return slices.Equal(got, want), fmt.Sprintf("log %q, want %q", got, want)
				})
			}
			// waitArmed waits for the delay's timer, then checks the task
			// is still running: nothing can kill it while the sequence
			// waits on the clock.
			waitArmed := func(what string) {
				t.Helper()
				clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
					return clock.pending() == 1, fmt.Sprintf("%d timers armed for the %s", clock.pending(), what)
				})
				if st := h.ar.TaskRunners()[0].State(); st.State != structs.TaskStateRunning || hasEventType(st, structs.TaskKilling) {
					t.Fatalf("task killed during the %s: %s %v", what, st.State, eventTypes(st))
				}
			}
			if tc.group > 0 {
				waitLog(wantLog)
				waitArmed("group's shutdown_delay")
				clock.advance(tc.group - time.Millisecond)
				if clock.pending() != 1 {
					t.Fatal("group delay ended early")
				}
				clock.advance(time.Millisecond)
			}
			wantLog = append(wantLog, fmt.Sprintf("deregister %q killing=false", taskName))
			waitLog(wantLog)
			if tc.task > 0 {
				waitArmed("task's shutdown_delay")
				clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
					st := h.ar.TaskRunners()[0].State()
					return hasEventType(st, structs.TaskWaitingShutdownDelay), fmt.Sprint(eventTypes(st))
				})
				clock.advance(tc.task)
			}
			a := h.waitStatus(structs.AllocClientStatusComplete)
			events := eventTypes(a.TaskStates[taskName])
			kill := slices.Index(events, structs.TaskKilling)
			if kill < 0 {
				t.Fatalf("no kill event: %v", events)
			}
			if wait := slices.Index(events, structs.TaskWaitingShutdownDelay); (wait >= 0) != (tc.task > 0) || wait > kill {
				t.Fatalf("events %v: want the shutdown delay event (only with a task delay) before the kill", events)
			}
		})
	}
}

// Killing the runner (the client destroying the allocation) cuts a
// shutdown_delay short.
func TestAllocRunner_KillCutsShutdownDelay(t *testing.T) {
	t.Parallel()
	alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
	delay := time.Hour
	alloc.Job.TaskGroups[0].ShutdownDelay = &delay
	clock := &fakeClock{now: time.Unix(1000, 0)}
	h := newHarnessWith(t, alloc, func(c *Config) { c.Clock = clock })
	h.waitStatus(structs.AllocClientStatusRunning)
	stop := alloc.Copy()
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	h.ar.Update(stop)
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		return clock.pending() == 1, "the group's delay not armed"
	})
	h.ar.Kill()
	h.waitStatus(structs.AllocClientStatusComplete)
}

// A stop marked NoShutdownDelay (job stop -no-shutdown-delay) still
// deregisters the group's and the task's services, but neither hour-long
// delay holds up the kill: the fake clock never moves, so the allocation
// can only finish if both delays were skipped. A mark that arrives in a
// later update than the stop cuts the running delay short.
func TestAllocRunner_NoShutdownDelay(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// markLater sends the mark in an update after the stop, once the
		// group's delay is armed.
		markLater bool
	}{
		{"marked with the stop", false},
		{"marked during the group's delay", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
			tg := alloc.Job.TaskGroups[0]
			taskName := tg.Tasks[0].Name
			hour := time.Hour
			tg.ShutdownDelay = &hour
			tg.Tasks[0].ShutdownDelay = hour
			clock := &fakeClock{now: time.Unix(1000, 0)}
			log := &stopLog{}
			h := newHarnessWith(t, alloc, func(c *Config) {
				c.Clock = clock
				c.Deregister = func(task string) { log.add(fmt.Sprintf("deregister %q", task)) }
			})
			h.waitStatus(structs.AllocClientStatusRunning)

			skip := true
			stop := alloc.Copy()
			stop.DesiredStatus = structs.AllocDesiredStatusStop
			if !tc.markLater {
				stop.DesiredTransition.NoShutdownDelay = &skip
			}
			h.ar.Update(stop)
			if tc.markLater {
				clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
					return clock.pending() == 1, "the group's delay not armed"
				})
				marked := stop.Copy()
				marked.DesiredTransition.NoShutdownDelay = &skip
				h.ar.Update(marked)
			}
			a := h.waitStatus(structs.AllocClientStatusComplete)
			if got, want := log.get(), []string{`deregister ""`, fmt.Sprintf("deregister %q", taskName)}; !slices.Equal(got, want) {
				t.Fatalf("deregistrations %q, want %q", got, want)
			}
			events := eventTypes(a.TaskStates[taskName])
			skipped, kill := slices.Index(events, structs.TaskSkippingShutdownDelay), slices.Index(events, structs.TaskKilling)
			if skipped < 0 || kill < skipped || slices.Contains(events, structs.TaskWaitingShutdownDelay) {
				t.Fatalf("events %v: want the task's delay skipped, not waited, before the kill", events)
			}
		})
	}
}
