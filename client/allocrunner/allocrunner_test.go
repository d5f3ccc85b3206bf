package allocrunner

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

const waitTimeout = 10 * time.Second

// testAlloc returns an allocation of a one-task group running the mock
// driver with config, restarting quickly so tests stay fast.
func testAlloc(jobType string, config map[string]interface{}) *structs.Allocation {
	job := mock.Job()
	if jobType == structs.JobTypeBatch {
		job = mock.BatchJob()
	}
	tg := job.TaskGroups[0]
	policy := &structs.RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
	tg.RestartPolicy = policy
	task := tg.Tasks[0]
	task.Driver, task.Config, task.RestartPolicy = mockdriver.Name, config, policy
	task.KillTimeout = time.Second
	return mock.AllocFor(job, mock.Node(), 0)
}

type harness struct {
	t      *testing.T
	ar     *AllocRunner
	driver *mockdriver.Driver

	mu      sync.Mutex
	updates int
	last    *structs.Allocation
}

func newHarness(t *testing.T, alloc *structs.Allocation) *harness {
	t.Helper()
	return newHarnessWith(t, alloc, nil)
}

// newHarnessWith is newHarness with the runner's config changed by mod
// before the runner is built.
func newHarnessWith(t *testing.T, alloc *structs.Allocation, mod func(*Config)) *harness {
	t.Helper()
	logger := clienttest.Logger(t)
	h := &harness{t: t, driver: mockdriver.New(logger)}
	cfg := &Config{
		Logger:    logger,
		Alloc:     alloc,
		Node:      mock.Node(),
		Drivers:   map[string]sdk.Driver{mockdriver.Name: h.driver},
		AllocRoot: t.TempDir(),
		OnUpdate: func(a *structs.Allocation) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.updates++
			h.last = a
		},
		Jitter: func(time.Duration) time.Duration { return 0 },
	}
	if mod != nil {
		mod(cfg)
	}
	ar, err := New(cfg)
	if err != nil {
		t.Fatalf("new alloc runner: %v", err)
	}
	h.ar = ar
	go ar.Run()
	t.Cleanup(func() {
		if err := ar.Destroy(); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	return h
}

// waitStatus waits until the last reported allocation has status.
func (h *harness) waitStatus(status string) *structs.Allocation {
	h.t.Helper()
	var got *structs.Allocation
	clienttest.WaitFor(h.t, waitTimeout, func() (bool, string) {
		h.mu.Lock()
		got = h.last
		h.mu.Unlock()
		if got == nil {
			return false, "no update reported"
		}
		return got.ClientStatus == status, fmt.Sprintf("client status %q, want %q; states %s", got.ClientStatus, status, describe(got))
	})
	return got
}

func describe(a *structs.Allocation) string {
	var b strings.Builder
	for name, st := range a.TaskStates {
		fmt.Fprintf(&b, "%s=%s failed=%v events=%v ", name, st.State, st.Failed, eventTypes(st))
	}
	return b.String()
}

func eventTypes(st *structs.TaskState) []string {
	out := make([]string, len(st.Events))
	for i, ev := range st.Events {
		out[i] = ev.Type
	}
	return out
}

func assertEvents(t *testing.T, st *structs.TaskState, want ...string) {
	t.Helper()
	if got := eventTypes(st); !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
}

func TestAllocRunner_BatchTaskCompletes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testAlloc(structs.JobTypeBatch, map[string]interface{}{"run_for": "10ms"}))
	a := h.waitStatus(structs.AllocClientStatusComplete)
	st := a.TaskStates["web"]
	if st.State != structs.TaskStateDead || st.Failed || st.Restarts != 0 {
		t.Fatalf("task state = %+v", st)
	}
	assertEvents(t, st, structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated)
	if msg := st.Events[3].DisplayMessage; msg != "Exit Code: 0" {
		t.Fatalf("terminated message = %q", msg)
	}
	if st.StartedAt.IsZero() || st.FinishedAt.Before(st.StartedAt) {
		t.Fatalf("started %v, finished %v", st.StartedAt, st.FinishedAt)
	}
}

func TestAllocRunner_FailingTaskRestartsThenFails(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		config map[string]interface{}
		want   []string
	}{
		{
			name:   "non-zero exit",
			config: map[string]interface{}{"run_for": "5ms", "exit_code": 2},
			want: []string{
				structs.TaskReceived, structs.TaskSetup,
				structs.TaskStarted, structs.TaskTerminated, structs.TaskRestarting,
				structs.TaskStarted, structs.TaskTerminated, structs.TaskNotRestarting,
			},
		},
		{
			name:   "driver start error",
			config: map[string]interface{}{"start_error": "no such binary"},
			want: []string{
				structs.TaskReceived, structs.TaskSetup,
				structs.TaskDriverFailure, structs.TaskRestarting,
				structs.TaskDriverFailure, structs.TaskNotRestarting,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testAlloc(structs.JobTypeBatch, tc.config))
			a := h.waitStatus(structs.AllocClientStatusFailed)
			st := a.TaskStates["web"]
			if st.State != structs.TaskStateDead || !st.Failed || st.Restarts != 1 {
				t.Fatalf("task state = %+v", st)
			}
			assertEvents(t, st, tc.want...)
			last := st.Events[len(st.Events)-1]
			if want := `Exceeded allowed attempts 1 in interval 1m0s and mode is "fail"`; last.DisplayMessage != want || !last.FailsTask {
				t.Fatalf("last event = %+v, want %q failing the task", last, want)
			}
		})
	}
}

func TestAllocRunner_ServerStopStopsTasks(t *testing.T) {
	t.Parallel()
	alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
	h := newHarness(t, alloc)
	h.waitStatus(structs.AllocClientStatusRunning)

	stopped := *alloc
	stopped.DesiredStatus, stopped.DesiredDescription = structs.AllocDesiredStatusStop, "alloc not needed"
	stopped.Job = nil // the runner must keep the job it has
	h.ar.Update(&stopped)
	a := h.waitStatus(structs.AllocClientStatusComplete)
	st := a.TaskStates["web"]
	assertEvents(t, st, structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskKilling, structs.TaskKilled)
	if st.Failed {
		t.Fatal("a stopped task is marked failed")
	}
	if a.DesiredStatus != structs.AllocDesiredStatusStop || a.Job == nil {
		t.Fatalf("alloc desired %q, job %v", a.DesiredStatus, a.Job)
	}
	select {
	case <-h.ar.WaitCh():
	case <-time.After(waitTimeout):
		t.Fatal("runner did not finish after stop")
	}
}

func TestAllocRunner_GroupRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		first       map[string]interface{}
		leader      bool
		wantStatus  string
		wantSibling string
	}{
		{"leader exit kills the others", map[string]interface{}{"run_for": "200ms"}, true, structs.AllocClientStatusComplete, structs.TaskLeaderDead},
		{"failed task kills its siblings", map[string]interface{}{"run_for": "200ms", "exit_code": 1}, false, structs.AllocClientStatusFailed, structs.TaskSiblingFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alloc := testAlloc(structs.JobTypeBatch, tc.first)
			tg := alloc.Job.TaskGroups[0]
			tg.RestartPolicy.Attempts = 0
			tg.Tasks[0].RestartPolicy.Attempts = 0
			tg.Tasks[0].Leader = tc.leader
			sidecar := *tg.Tasks[0]
			sidecar.Name, sidecar.Leader, sidecar.Config = "sidecar", false, map[string]interface{}{}
			tg.Tasks = append(tg.Tasks, &sidecar)
			alloc.AllocatedResources.Tasks["sidecar"] = alloc.AllocatedResources.Tasks["web"]

			h := newHarness(t, alloc)
			var a *structs.Allocation
			clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
				a = h.ar.Alloc()
				s := a.TaskStates["sidecar"]
				return s.State == structs.TaskStateDead, describe(a)
			})
			if a.ClientStatus != tc.wantStatus {
				t.Fatalf("client status = %q, want %q (%s)", a.ClientStatus, tc.wantStatus, describe(a))
			}
			sc := a.TaskStates["sidecar"]
			if sc.Failed {
				t.Fatal("the killed sidecar is marked failed")
			}
			// The first task runs long enough for the sidecar to start.
			if !reflect.DeepEqual(eventTypes(sc), []string{structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, tc.wantSibling, structs.TaskKilling, structs.TaskKilled}) {
				t.Fatalf("sidecar events = %q", eventTypes(sc))
			}
		})
	}
}

func TestAllocRunner_InterpolatesIntoDriverAndDestroys(t *testing.T) {
	t.Parallel()
	alloc := testAlloc(structs.JobTypeBatch, map[string]interface{}{
		"run_for":       "1ms",
		"stdout_string": "alloc=${NOMAD_ALLOC_ID} task=${NOMAD_TASK_NAME} class=${node.class}",
	})
	h := newHarness(t, alloc)
	h.waitStatus(structs.AllocClientStatusComplete)
	data, err := os.ReadFile(h.ar.AllocDir().LogPath("web", "stdout") + ".0")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("alloc=%s task=web class=linux-medium", alloc.ID); string(data) != want {
		t.Fatalf("stdout = %q, want %q", data, want)
	}
	if dead, ok := h.ar.TaskDead("web"); !dead || !ok {
		t.Fatalf("TaskDead(web) = %v, %v", dead, ok)
	}
	if _, ok := h.ar.TaskDead("nope"); ok {
		t.Fatal("TaskDead knows a task the group lacks")
	}
	if err := h.ar.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.ar.AllocDir().Dir); !os.IsNotExist(err) {
		t.Fatalf("alloc dir remains after destroy: %v", err)
	}
}

func TestAllocRunner_MissingDriverFails(t *testing.T) {
	t.Parallel()
	alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
	alloc.Job.TaskGroups[0].Tasks[0].Driver = "docker"
	h := newHarness(t, alloc)
	a := h.waitStatus(structs.AllocClientStatusFailed)
	st := a.TaskStates["web"]
	if len(st.Events) != 1 || st.Events[0].Type != structs.TaskDriverFailure || !strings.Contains(st.Events[0].DisplayMessage, `driver "docker" is not available`) {
		t.Fatalf("events = %+v", st.Events)
	}
}
