package allocrunner

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestDecideHealth(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	strategy := &structs.UpdateStrategy{MinHealthyTime: 10 * time.Second, HealthyDeadline: 60 * time.Second}
	running := func(startedAt int) *structs.TaskState {
		return &structs.TaskState{State: structs.TaskStateRunning, StartedAt: sec(startedAt)}
	}
	restarted := func(first, again int) *structs.TaskState {
		st := running(first)
		st.Restarts, st.LastRestart = 1, sec(again-1)
		st.Events = []*structs.TaskEvent{
			{Type: structs.TaskStarted, Time: sec(first).UnixNano()},
			{Type: structs.TaskRestarting, Time: sec(again - 1).UnixNano()},
			{Type: structs.TaskStarted, Time: sec(again).UnixNano()},
		}
		return st
	}
	pending := &structs.TaskState{State: structs.TaskStatePending}
	dead := func(failed bool) *structs.TaskState {
		return &structs.TaskState{State: structs.TaskStateDead, Failed: failed, StartedAt: sec(1), FinishedAt: sec(5)}
	}
	task := func(name, hook string, sidecar bool) *structs.Task {
		tk := &structs.Task{Name: name}
		if hook != "" {
			tk.Lifecycle = &structs.TaskLifecycleConfig{Hook: hook, Sidecar: sidecar}
		}
		return tk
	}
	main, side := task("main", "", false), task("side", structs.TaskLifecycleHookPrestart, true)
	init, post := task("init", structs.TaskLifecycleHookPrestart, false), task("post", structs.TaskLifecycleHookPoststart, false)
	cleanup := task("cleanup", structs.TaskLifecycleHookPoststop, false)

	cases := []struct {
		name        string
		tasks       []*structs.Task
		states      map[string]*structs.TaskState
		status      string
		now         int
		wantDecided bool
		wantHealthy bool
		wantRecheck int // seconds; -1 for none
		wantReason  string
	}{
		{"still starting", []*structs.Task{main}, map[string]*structs.TaskState{"main": pending}, "pending", 5, false, false, 60, ""},
		{"no state yet", []*structs.Task{main}, nil, "pending", 5, false, false, 60, ""},
		{"running, min_healthy_time not reached", []*structs.Task{main}, map[string]*structs.TaskState{"main": running(2)}, "running", 5, false, false, 12, ""},
		{"running long enough", []*structs.Task{main}, map[string]*structs.TaskState{"main": running(2)}, "running", 12, true, true, -1, "min_healthy_time"},
		{"the latest start counts", []*structs.Task{main, side}, map[string]*structs.TaskState{"main": running(2), "side": running(8)}, "running", 12, false, false, 18, ""},
		{"a restart starts the wait over", []*structs.Task{main}, map[string]*structs.TaskState{"main": restarted(2, 20)}, "running", 25, false, false, 30, ""},
		{"healthy after the restart waited", []*structs.Task{main}, map[string]*structs.TaskState{"main": restarted(2, 20)}, "running", 30, true, true, -1, ""},
		{"restarting is not running", []*structs.Task{main}, map[string]*structs.TaskState{"main": {State: structs.TaskStatePending, Restarts: 1, StartedAt: sec(1)}}, "running", 30, false, false, 60, ""},
		{"a failed task", []*structs.Task{main, side}, map[string]*structs.TaskState{"main": running(1), "side": dead(true)}, "running", 3, true, false, -1, `task "side" failed`},
		{"a main task that exits", []*structs.Task{main}, map[string]*structs.TaskState{"main": dead(false)}, "complete", 30, true, false, -1, `task "main" exited`},
		{"a failed allocation", []*structs.Task{main}, map[string]*structs.TaskState{"main": running(1)}, "failed", 3, true, false, -1, "allocation failed"},
		{"deadline passes while starting", []*structs.Task{main}, map[string]*structs.TaskState{"main": pending}, "pending", 60, true, false, -1, "healthy_deadline of 1m0s"},
		{"min_healthy_time cannot end before the deadline", []*structs.Task{main}, map[string]*structs.TaskState{"main": running(55)}, "running", 56, false, false, 60, ""},
		{"deadline passes before min_healthy_time", []*structs.Task{main}, map[string]*structs.TaskState{"main": running(55)}, "running", 61, true, false, -1, "did not run for the min_healthy_time"},
		{"healthy exactly at the deadline", []*structs.Task{main}, map[string]*structs.TaskState{"main": running(50)}, "running", 70, true, true, -1, ""},
		{"prestart and poststart tasks that completed do not count", []*structs.Task{init, main, post, cleanup},
			map[string]*structs.TaskState{"init": dead(false), "main": running(2), "post": dead(false), "cleanup": pending}, "running", 12, true, true, -1, ""},
		{"a poststart task still running counts", []*structs.Task{main, post},
			map[string]*structs.TaskState{"main": running(2), "post": running(6)}, "running", 12, false, false, 16, ""},
		{"a failed prestart task", []*structs.Task{init, main}, map[string]*structs.TaskState{"init": dead(true), "main": pending}, "pending", 3, true, false, -1, `task "init" failed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := decideHealth(healthInput{Tasks: tc.tasks, States: tc.states, ClientStatus: tc.status,
				Strategy: strategy, Start: t0, Now: sec(tc.now)})
			if got.Decided != tc.wantDecided || got.Healthy != tc.wantHealthy {
				t.Fatalf("decided %v healthy %v (%s), want %v %v", got.Decided, got.Healthy, got.Reason, tc.wantDecided, tc.wantHealthy)
			}
			if !strings.Contains(got.Reason, tc.wantReason) {
				t.Errorf("reason %q, want it to contain %q", got.Reason, tc.wantReason)
			}
			wantRecheck := time.Time{}
			if tc.wantRecheck >= 0 {
				wantRecheck = sec(tc.wantRecheck)
			}
			if !got.Recheck.Equal(wantRecheck) {
				t.Errorf("recheck at %v, want %v", got.Recheck, wantRecheck)
			}
		})
	}
}

// TestDecideHealth_Checks: with health_check = "checks" and service
// checks, the checks must pass for min_healthy_time too.
func TestDecideHealth_Checks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	strategy := &structs.UpdateStrategy{MinHealthyTime: 10 * time.Second, HealthyDeadline: 60 * time.Second}
	tasks := []*structs.Task{{Name: "main"}}
	states := map[string]*structs.TaskState{"main": {State: structs.TaskStateRunning, StartedAt: sec(2)}}
	cases := []struct {
		name         string
		passingSince int // -1: not passing
		now          time.Time
		wantDecided  bool
		wantHealthy  bool
		wantRecheck  time.Time
	}{
		{"tasks long enough, checks not passing", -1, sec(15), false, false, sec(15).Add(checksPollInterval)},
		{"checks passing, not yet long enough", 12, sec(15), false, false, sec(15).Add(checksPollInterval)},
		{"checks about to be long enough", 12, sec(22).Add(-100 * time.Millisecond), false, false, sec(22)},
		{"tasks and checks long enough", 12, sec(22), true, true, time.Time{}},
		{"checks never passed by the deadline", -1, sec(60), true, false, time.Time{}},
		{"checks passing too late for the deadline", 55, sec(60), true, false, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			var since time.Time
			if tc.passingSince >= 0 {
				since = sec(tc.passingSince)
			}
			got := decideHealth(healthInput{Tasks: tasks, States: states, ClientStatus: "running",
				Strategy: strategy, Start: t0, Now: now, HasChecks: true, ChecksPassingSince: since})
			if got.Decided != tc.wantDecided || got.Healthy != tc.wantHealthy {
				t.Fatalf("decided %v healthy %v (%s), want %v %v", got.Decided, got.Healthy, got.Reason, tc.wantDecided, tc.wantHealthy)
			}
			if !got.Recheck.Equal(tc.wantRecheck) {
				t.Fatalf("recheck %v, want %v", got.Recheck, tc.wantRecheck)
			}
		})
	}
}
