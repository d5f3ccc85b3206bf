package allocrunner

import (
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// lcTask describes one task of a lifecycle test group.
type lcTask struct {
	name    string
	hook    string // "" for a main task
	sidecar bool
	config  map[string]interface{}
}

// lifecycleAlloc builds an allocation of one group with the given tasks,
// all on the mock driver, restarting once after 10ms.
func lifecycleAlloc(jobType string, tasks ...lcTask) *structs.Allocation {
	job := mock.Job()
	if jobType == structs.JobTypeBatch {
		job = mock.BatchJob()
	}
	tg := job.TaskGroups[0]
	policy := &structs.RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
	tg.RestartPolicy = policy
	proto := tg.Tasks[0]
	tg.Tasks = nil
	for _, lt := range tasks {
		task := proto.Copy()
		task.Name, task.Driver, task.Config = lt.name, mockdriver.Name, lt.config
		task.RestartPolicy, task.KillTimeout = policy.Copy(), time.Second
		if lt.hook != "" {
			task.Lifecycle = &structs.TaskLifecycleConfig{Hook: lt.hook, Sidecar: lt.sidecar}
		}
		tg.Tasks = append(tg.Tasks, task)
	}
	return mock.AllocFor(job, mock.Node(), 0)
}

// eventTime returns when the task first recorded an event of type typ.
func eventTime(t *testing.T, st *structs.TaskState, typ string) int64 {
	t.Helper()
	for _, ev := range st.Events {
		if ev.Type == typ {
			return ev.Time
		}
	}
	t.Fatalf("no %q event in %q", typ, eventTypes(st))
	return 0
}

// assertBefore checks that a's event happened no later than b's.
func assertBefore(t *testing.T, a *structs.TaskState, aType string, b *structs.TaskState, bType string) {
	t.Helper()
	if ta, tb := eventTime(t, a, aType), eventTime(t, b, bType); ta > tb {
		t.Fatalf("%q came %v after %q", aType, time.Duration(ta-tb), bType)
	}
}

func (h *harness) waitTask(name string, cond func(st *structs.TaskState) bool) *structs.Allocation {
	h.t.Helper()
	var a *structs.Allocation
	clienttest.WaitFor(h.t, waitTimeout, func() (bool, string) {
		a = h.ar.Alloc()
		st := a.TaskStates[name]
		return st != nil && cond(st), describe(a)
	})
	return a
}

func isDead(st *structs.TaskState) bool { return st.State == structs.TaskStateDead }

func TestAllocRunner_PrestartRunsToCompletionFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, lifecycleAlloc(structs.JobTypeService,
		lcTask{name: "init", hook: structs.TaskLifecycleHookPrestart, config: map[string]interface{}{"run_for": "100ms"}},
		lcTask{name: "web", config: map[string]interface{}{}},
	))
	a := h.waitStatus(structs.AllocClientStatusRunning)
	init, web := a.TaskStates["init"], a.TaskStates["web"]
	// A service job restarts a main task that exits 0; an ephemeral
	// prestart task is done instead.
	assertEvents(t, init, structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated)
	if !isDead(init) || init.Failed || init.Restarts != 0 {
		t.Fatalf("init = %+v", init)
	}
	assertBefore(t, init, structs.TaskTerminated, web, structs.TaskSetup)
	if web.State != structs.TaskStateRunning {
		t.Fatalf("web = %s", web.State)
	}
}

func TestAllocRunner_PrestartSidecarRunsBesideMain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, lifecycleAlloc(structs.JobTypeBatch,
		lcTask{name: "proxy", hook: structs.TaskLifecycleHookPrestart, sidecar: true, config: map[string]interface{}{}},
		lcTask{name: "web", config: map[string]interface{}{"run_for": "300ms"}},
	))
	a := h.waitTask("web", func(st *structs.TaskState) bool { return st.State == structs.TaskStateRunning })
	if st := a.TaskStates["proxy"]; st.State != structs.TaskStateRunning {
		t.Fatalf("sidecar not running beside the main task: %s", describe(a))
	}
	assertBefore(t, a.TaskStates["proxy"], structs.TaskStarted, a.TaskStates["web"], structs.TaskSetup)

	a = h.waitStatus(structs.AllocClientStatusComplete)
	proxy := a.TaskStates["proxy"]
	assertEvents(t, proxy, structs.TaskReceived, structs.TaskSetup, structs.TaskStarted,
		structs.TaskMainDead, structs.TaskKilling, structs.TaskKilled)
	if proxy.Failed {
		t.Fatal("a sidecar stopped because the main task finished is marked failed")
	}
	assertBefore(t, a.TaskStates["web"], structs.TaskTerminated, proxy, structs.TaskMainDead)
}

func TestAllocRunner_PoststartAfterMainRuns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, lifecycleAlloc(structs.JobTypeService,
		lcTask{name: "web", config: map[string]interface{}{"start_block_for": "100ms"}},
		lcTask{name: "announce", hook: structs.TaskLifecycleHookPoststart, config: map[string]interface{}{"run_for": "10ms"}},
		lcTask{name: "metrics", hook: structs.TaskLifecycleHookPoststart, sidecar: true, config: map[string]interface{}{}},
	))
	a := h.waitTask("announce", isDead)
	web, announce := a.TaskStates["web"], a.TaskStates["announce"]
	assertBefore(t, web, structs.TaskStarted, announce, structs.TaskSetup)
	assertEvents(t, announce, structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated)
	a = h.waitTask("metrics", func(st *structs.TaskState) bool { return st.State == structs.TaskStateRunning })
	assertBefore(t, a.TaskStates["web"], structs.TaskStarted, a.TaskStates["metrics"], structs.TaskSetup)
	if a.ClientStatus != structs.AllocClientStatusRunning {
		t.Fatalf("client status = %q with main and sidecar running", a.ClientStatus)
	}
}

func TestAllocRunner_PoststopAfterMainExits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, lifecycleAlloc(structs.JobTypeBatch,
		lcTask{name: "web", config: map[string]interface{}{"run_for": "100ms"}},
		lcTask{name: "cleanup", hook: structs.TaskLifecycleHookPoststop, config: map[string]interface{}{"run_for": "10ms"}},
	))
	// While the main task runs, a waiting poststop task does not hold the
	// allocation in pending.
	h.waitStatus(structs.AllocClientStatusRunning)
	a := h.waitStatus(structs.AllocClientStatusComplete)
	web, cleanup := a.TaskStates["web"], a.TaskStates["cleanup"]
	assertEvents(t, cleanup, structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated)
	assertBefore(t, web, structs.TaskTerminated, cleanup, structs.TaskSetup)
}

func TestAllocRunner_ServerStopRunsPoststop(t *testing.T) {
	t.Parallel()
	alloc := lifecycleAlloc(structs.JobTypeService,
		lcTask{name: "web", config: map[string]interface{}{}},
		lcTask{name: "cleanup", hook: structs.TaskLifecycleHookPoststop, config: map[string]interface{}{"run_for": "10ms"}},
	)
	h := newHarness(t, alloc)
	h.waitStatus(structs.AllocClientStatusRunning)
	stopped := *alloc
	stopped.DesiredStatus = structs.AllocDesiredStatusStop
	h.ar.Update(&stopped)
	a := h.waitTask("cleanup", isDead)
	assertEvents(t, a.TaskStates["web"], structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskKilling, structs.TaskKilled)
	assertEvents(t, a.TaskStates["cleanup"], structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated)
	assertBefore(t, a.TaskStates["web"], structs.TaskKilled, a.TaskStates["cleanup"], structs.TaskSetup)
	h.waitStatus(structs.AllocClientStatusComplete)
}

func TestAllocRunner_FailingPrestartFailsAlloc(t *testing.T) {
	t.Parallel()
	h := newHarness(t, lifecycleAlloc(structs.JobTypeService,
		lcTask{name: "init", hook: structs.TaskLifecycleHookPrestart, config: map[string]interface{}{"run_for": "5ms", "exit_code": 3}},
		lcTask{name: "web", config: map[string]interface{}{}},
		lcTask{name: "cleanup", hook: structs.TaskLifecycleHookPoststop, config: map[string]interface{}{"run_for": "5ms"}},
	))
	a := h.waitStatus(structs.AllocClientStatusFailed)
	a = h.waitTask("cleanup", isDead)
	init := a.TaskStates["init"]
	assertEvents(t, init, structs.TaskReceived, structs.TaskSetup,
		structs.TaskStarted, structs.TaskTerminated, structs.TaskRestarting,
		structs.TaskStarted, structs.TaskTerminated, structs.TaskNotRestarting)
	if !init.Failed || init.Restarts != 1 {
		t.Fatalf("init = %+v", init)
	}
	web := a.TaskStates["web"]
	assertEvents(t, web, structs.TaskReceived, structs.TaskSiblingFailed)
	if !isDead(web) || !web.StartedAt.IsZero() {
		t.Fatalf("main task started after its prestart task failed: %+v", web)
	}
	// Cleanup still runs, once the main tasks are down.
	assertEvents(t, a.TaskStates["cleanup"], structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated)
	if a.ClientStatus != structs.AllocClientStatusFailed {
		t.Fatalf("client status = %q", a.ClientStatus)
	}
}

func TestNextLifecycleStep(t *testing.T) {
	t.Parallel()
	now := time.Now()
	task := func(hook string, sidecar bool) *structs.Task {
		t := &structs.Task{Name: hook}
		if hook != "" {
			t.Lifecycle = &structs.TaskLifecycleConfig{Hook: hook, Sidecar: sidecar}
		}
		return t
	}
	pending := &structs.TaskState{State: structs.TaskStatePending}
	running := &structs.TaskState{State: structs.TaskStateRunning, StartedAt: now}
	completed := &structs.TaskState{State: structs.TaskStateDead, StartedAt: now}
	failed := &structs.TaskState{State: structs.TaskStateDead, Failed: true, StartedAt: now}
	killedUnstarted := &structs.TaskState{State: structs.TaskStateDead}
	pre, side, main, post, stop := task("prestart", false), task("prestart", true), task("", false), task("poststart", false), task("poststop", false)
	cases := []struct {
		name     string
		views    []taskView
		stopping bool
		want     lifecycleStep
	}{
		{"prestart running holds main", []taskView{{pre, running}, {main, pending}}, false, lifecycleStep{}},
		{"prestart completed opens main", []taskView{{pre, completed}, {main, pending}, {post, pending}}, false,
			lifecycleStep{open: []phase{phaseMain}}},
		{"failed prestart holds main", []taskView{{pre, failed}, {main, pending}}, false, lifecycleStep{}},
		{"sidecar started opens main", []taskView{{side, running}, {main, pending}}, false, lifecycleStep{open: []phase{phaseMain}}},
		{"main started opens poststart", []taskView{{side, running}, {main, running}, {post, pending}}, false,
			lifecycleStep{open: []phase{phaseMain, phasePoststart}}},
		{"main dead opens poststop and stops helpers", []taskView{{side, running}, {main, completed}, {stop, pending}}, false,
			lifecycleStep{open: []phase{phaseMain, phasePoststart, phasePoststop}, stopHelpers: true}},
		{"stopping opens only poststop", []taskView{{pre, completed}, {main, killedUnstarted}, {stop, pending}}, true,
			lifecycleStep{open: []phase{phasePoststop}, stopHelpers: true}},
		{"stopping with main still running opens nothing", []taskView{{main, running}, {stop, pending}}, true, lifecycleStep{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextLifecycleStep(tc.views, tc.stopping); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("step = %+v, want %+v", got, tc.want)
			}
		})
	}
}
