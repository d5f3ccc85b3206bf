package allocrunner

import (
	"fmt"
	"testing"

	"github.com/orch-dev/orch/client/clienttest"
	"github.com/orch-dev/orch/client/taskrunner"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TaskRunner.Restart, as the service hook (check_restart) and templates
// (change_mode = "restart") use it: a failure counts against the restart
// policy, which fails the task once spent; a plain restart does not.
func TestTaskRestart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		failure bool
		// restarts asked for; the policy allows one attempt.
		restarts   int
		wantStatus string
	}{
		{"failure within policy", true, 1, structs.AllocClientStatusRunning},
		{"failures past policy fail the task", true, 2, structs.AllocClientStatusFailed},
		{"plain restarts do not count", false, 3, structs.AllocClientStatusRunning},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testAlloc(structs.JobTypeService, map[string]interface{}{"run_for": "1h"}))
			tr := h.ar.TaskRunners()[0]
			for i := 0; i < tc.restarts; i++ {
				h.waitStatus(structs.AllocClientStatusRunning)
				waitRunning(t, tr, uint64(i))
				if err := tr.Restart("check unhealthy", tc.failure); err != nil {
					t.Fatalf("restart %d: %v", i, err)
				}
				waitRestarts(t, tr, uint64(i+1), tc.wantStatus == structs.AllocClientStatusFailed && i == tc.restarts-1)
			}
			got := h.waitStatus(tc.wantStatus)
			assertEventsContain(t, got.TaskStates[tr.Name()], structs.TaskRestartSignal)
		})
	}
}

func waitRunning(t *testing.T, tr *taskrunner.TaskRunner, restarts uint64) {
	t.Helper()
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		st := tr.State()
		return st.State == structs.TaskStateRunning && st.Restarts == restarts,
			fmt.Sprintf("state %s restarts %d, want running after %d", st.State, st.Restarts, restarts)
	})
}

// waitRestarts waits for the restart to be recorded, or for the task to
// die when it is the one past the policy.
func waitRestarts(t *testing.T, tr *taskrunner.TaskRunner, n uint64, dies bool) {
	t.Helper()
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		st := tr.State()
		if dies {
			return st.State == structs.TaskStateDead, "task still " + st.State
		}
		return st.Restarts >= n, fmt.Sprintf("%d restarts, want %d", st.Restarts, n)
	})
}

func assertEventsContain(t *testing.T, st *structs.TaskState, typ string) {
	t.Helper()
	for _, ev := range st.Events {
		if ev.Type == typ {
			return
		}
	}
	t.Errorf("no %q event in %v", typ, eventTypes(st))
}
