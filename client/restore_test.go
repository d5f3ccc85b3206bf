package client

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	"github.com/orch-dev/orch/client/state"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// countingDriver counts starts, so a test can tell a recovered task from
// one started again.
type countingDriver struct {
	sdk.Driver
	starts atomic.Int32
}

func (d *countingDriver) StartTask(cfg *sdk.TaskConfig) (*sdk.TaskHandle, error) {
	d.starts.Add(1)
	return d.Driver.StartTask(cfg)
}

// taskID is the driver task ID of the task's current run, from the
// handle the client persisted.
func (tc *testClient) taskID(t *testing.T, allocID, task string) string {
	t.Helper()
	return persistedTaskID(t, tc.Client, allocID, task)
}

func persistedTaskID(t *testing.T, c *Client, allocID, task string) string {
	t.Helper()
	recs, _, err := c.db.Allocations()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Alloc.ID == allocID && r.Tasks[task] != nil && r.Tasks[task].Handle != nil {
			return r.Tasks[task].Handle.Config.ID
		}
	}
	t.Fatalf("no persisted handle for %s/%s", allocID, task)
	return ""
}

// startClient runs a non-dev client on dataDir against srv, so that its
// tasks outlive Shutdown.
func startClient(t *testing.T, srv *fakeServer, dataDir string, drv sdk.Driver) *Client {
	t.Helper()
	c, err := NewClient(&Config{
		Logger:         clienttest.Logger(t),
		DataDir:        dataDir,
		NodeName:       "test-node",
		Drivers:        map[string]sdk.Driver{mockdriver.Name: drv},
		UpdateInterval: 20 * time.Millisecond,
	}, srv)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	select {
	case <-c.Ready():
	case <-time.After(waitTimeout):
		t.Fatal("client not ready")
	}
	return c
}

func waitServer(t *testing.T, srv *fakeServer, what string, cond func() (bool, string)) {
	t.Helper()
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		ok, seen := cond()
		return ok, what + ": " + seen
	})
}

// TestClient_RestoreAfterRestart restarts a client over the same data dir
// while its tasks run on. A task that survived is recovered, not started
// again; one whose process vanished meanwhile is reported lost and goes
// through its restart policy; one the servers stopped meanwhile is
// stopped once the client catches up.
func TestClient_RestoreAfterRestart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// attempts is the lost task's restart policy.
		attempts   int
		wantStatus string
		wantFailed bool
	}{
		{name: "lost task restarted", attempts: 1, wantStatus: structs.AllocClientStatusRunning},
		{name: "lost task out of restarts", attempts: 0, wantStatus: structs.AllocClientStatusFailed, wantFailed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer()
			t.Cleanup(srv.close)
			mockDrv := mockdriver.New(clienttest.Logger(t))
			drv := &countingDriver{Driver: mockDrv}
			dataDir := t.TempDir()
			first := startClient(t, srv, dataDir, drv)

			job := mock.Job()
			task := job.TaskGroups[0].Tasks[0]
			task.Driver, task.Config, task.KillTimeout = mockdriver.Name, map[string]interface{}{}, time.Second
			task.RestartPolicy = &structs.RestartPolicy{Attempts: tc.attempts, Interval: time.Hour, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
			node := first.Node()
			survivor, lost, stopped := mock.AllocFor(job, node, 0), mock.AllocFor(job, node, 1), mock.AllocFor(job, node, 2)
			srv.upsertAllocs(survivor, lost, stopped)
			ids := []string{survivor.ID, lost.ID, stopped.ID}
			waitServer(t, srv, "all running", func() (bool, string) {
				for _, id := range ids {
					if s := srv.alloc(id).ClientStatus; s != structs.AllocClientStatusRunning {
						return false, id + " is " + s
					}
				}
				return true, ""
			})
			taskIDs := map[string]string{}
			for _, id := range ids {
				taskIDs[id] = persistedTaskID(t, first, id, "web")
			}
			if err := first.Shutdown(); err != nil {
				t.Fatal(err)
			}

			// While the agent is down: a task's process vanishes, and the
			// servers stop another allocation.
			if err := mockDrv.DestroyTask(taskIDs[lost.ID], true); err != nil {
				t.Fatal(err)
			}
			srv.stopAlloc(stopped.ID)
			startsBefore := drv.starts.Load()

			second := startClient(t, srv, dataDir, drv)
			waitServer(t, srv, "lost task handled by its restart policy", func() (bool, string) {
				a := srv.alloc(lost.ID)
				st := a.TaskStates["web"]
				if a.ClientStatus != tc.wantStatus || st == nil || st.Failed != tc.wantFailed || !hasEvent(st, structs.TaskRestoreFailed, "task not found after client restart") {
					return false, fmt.Sprintf("status %s, task %+v", a.ClientStatus, st)
				}
				return true, ""
			})
			waitServer(t, srv, "stopped alloc complete", func() (bool, string) {
				s := srv.alloc(stopped.ID).ClientStatus
				return s == structs.AllocClientStatusComplete, s
			})

			if got := persistedTaskID(t, second, survivor.ID, "web"); got != taskIDs[survivor.ID] {
				t.Errorf("survivor runs as %s after the restart, want the recovered %s", got, taskIDs[survivor.ID])
			}
			if st, err := mockDrv.InspectTask(taskIDs[survivor.ID]); err != nil || st.State != sdk.TaskStateRunning {
				t.Errorf("survivor in the driver = %+v, %v; want still running", st, err)
			}
			if a, _ := second.GetAllocState(survivor.ID); a.ClientStatus != structs.AllocClientStatusRunning {
				t.Errorf("survivor's client status = %s, want running", a.ClientStatus)
			}
			wantStarts := startsBefore + int32(tc.attempts)
			if got := drv.starts.Load(); got != wantStarts {
				t.Errorf("%d task starts after the restart, want %d (restarts of the lost task only)", got-startsBefore, tc.attempts)
			}
			if _, err := mockDrv.InspectTask(taskIDs[stopped.ID]); !errors.Is(err, sdk.ErrTaskNotFound) {
				t.Errorf("task of the stopped alloc: %v, want it stopped and destroyed", err)
			}
		})
	}
}

func hasEvent(st *structs.TaskState, typ, msg string) bool {
	for _, ev := range st.Events {
		if ev.Type == typ && strings.Contains(ev.DisplayMessage, msg) {
			return true
		}
	}
	return false
}

// TestClient_RestoreForgetsCollectedAllocs: an allocation the servers
// garbage-collected while the agent was down is destroyed, tasks and
// record included.
func TestClient_RestoreForgetsCollectedAllocs(t *testing.T) {
	t.Parallel()
	srv := newFakeServer()
	t.Cleanup(srv.close)
	mockDrv := mockdriver.New(clienttest.Logger(t))
	dataDir := t.TempDir()
	first := startClient(t, srv, dataDir, mockDrv)
	job := mock.Job()
	task := job.TaskGroups[0].Tasks[0]
	task.Driver, task.Config, task.KillTimeout = mockdriver.Name, map[string]interface{}{}, time.Second
	a := mock.AllocFor(job, first.Node(), 0)
	srv.upsertAllocs(a)
	waitServer(t, srv, "running", func() (bool, string) {
		s := srv.alloc(a.ID).ClientStatus
		return s == structs.AllocClientStatusRunning, s
	})
	taskID := persistedTaskID(t, first, a.ID, "web")
	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}
	srv.deleteAlloc(a.ID)

	second := startClient(t, srv, dataDir, mockDrv)
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		_, err := mockDrv.InspectTask(taskID)
		return errors.Is(err, sdk.ErrTaskNotFound) && second.NumAllocs() == 0, fmt.Sprintf("task: %v, allocs %d", err, second.NumAllocs())
	})
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		recs, _, err := second.db.Allocations()
		return err == nil && len(recs) == 0, fmt.Sprintf("%d records, %v", len(recs), err)
	})
	if _, err := state.Open(filepath.Join(dataDir, "client", state.FileName), clienttest.Logger(t)); err == nil {
		t.Error("a second process could open the state database the client holds")
	}
}
