package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

const waitTimeout = 10 * time.Second

type testClient struct {
	*Client
	server *fakeServer
	driver *mockdriver.Driver
}

// newTestClient starts a dev-mode client against a fake server; modify may
// change the config first.
func newTestClient(t *testing.T, srv *fakeServer, modify func(*Config)) *testClient {
	t.Helper()
	logger := clienttest.Logger(t)
	drv := mockdriver.New(logger)
	cfg := &Config{
		Logger:         logger,
		DataDir:        t.TempDir(),
		NodeName:       "test-node",
		DevMode:        true,
		Drivers:        map[string]sdk.Driver{mockdriver.Name: drv},
		UpdateInterval: 50 * time.Millisecond,
		Meta:           map[string]string{"rack": "r1"},
	}
	if modify != nil {
		modify(cfg)
	}
	c, err := NewClient(cfg, srv)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.close()
	})
	return &testClient{Client: c, server: srv, driver: drv}
}

func (tc *testClient) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-tc.Ready():
	case <-time.After(waitTimeout):
		t.Fatal("client not ready")
	}
}

// serviceAlloc returns an allocation for this node of a mock task that runs
// until stopped.
func (tc *testClient) serviceAlloc(job *structs.Job, index int, config map[string]interface{}) *structs.Allocation {
	task := job.TaskGroups[0].Tasks[0]
	task.Driver, task.Config, task.KillTimeout = mockdriver.Name, config, time.Second
	node := tc.Node()
	return mock.AllocFor(job, node, index)
}

func (tc *testClient) waitServerStatus(t *testing.T, status string, ids ...string) {
	t.Helper()
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		for _, id := range ids {
			if got := tc.server.alloc(id).ClientStatus; got != status {
				return false, fmt.Sprintf("server sees alloc %s as %q, want %q", id, got, status)
			}
		}
		return true, ""
	})
}

func TestClient_RunsAndStopsAllocations(t *testing.T) {
	t.Parallel()
	tc := newTestClient(t, newFakeServer(), nil)
	tc.waitReady(t)

	node := tc.server.node(tc.NodeID())
	if node == nil || node.Status != structs.NodeStatusReady {
		t.Fatalf("server node = %+v, want ready", node)
	}
	if d := node.Drivers[mockdriver.Name]; d == nil || !d.Healthy || !d.Detected {
		t.Fatalf("mock driver on node = %+v", d)
	}
	if node.Attributes["driver.mock_driver"] != "1" || node.Meta["rack"] != "r1" || node.NodeResources.Cpu.CpuShares <= 0 {
		t.Fatalf("node attributes %v, meta %v, resources %+v", node.Attributes, node.Meta, node.NodeResources)
	}

	job := mock.Job()
	var ids []string
	var allocs []*structs.Allocation
	for i := 0; i < 3; i++ {
		a := tc.serviceAlloc(job, i, map[string]interface{}{})
		ids, allocs = append(ids, a.ID), append(allocs, a)
	}
	tc.server.upsertAllocs(allocs...)
	tc.waitServerStatus(t, structs.AllocClientStatusRunning, ids...)
	if n := tc.NumAllocs(); n != 3 {
		t.Fatalf("client runs %d allocs, want 3", n)
	}
	if a, ok := tc.GetAllocState(ids[0]); !ok || a.ClientStatus != structs.AllocClientStatusRunning {
		t.Fatalf("client state of %s = %+v, %v", ids[0], a, ok)
	}

	for _, id := range ids {
		tc.server.stopAlloc(id)
	}
	tc.waitServerStatus(t, structs.AllocClientStatusComplete, ids...)
	st := tc.server.alloc(ids[1]).TaskStates["web"]
	if st == nil || st.State != structs.TaskStateDead || st.Failed {
		t.Fatalf("server task state = %+v", st)
	}
	if last := st.Events[len(st.Events)-1]; last.Type != structs.TaskKilled {
		t.Fatalf("last event = %q, want %q", last.Type, structs.TaskKilled)
	}

	// A garbage-collected allocation is forgotten and its directory removed.
	tc.server.deleteAlloc(ids[2])
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		_, ok := tc.GetAllocState(ids[2])
		return !ok && tc.NumAllocs() == 2, fmt.Sprintf("client still has %d allocs", tc.NumAllocs())
	})
}

func TestClient_BatchesAllocUpdates(t *testing.T) {
	t.Parallel()
	tc := newTestClient(t, newFakeServer(), func(c *Config) { c.UpdateInterval = 200 * time.Millisecond })
	tc.waitReady(t)
	job := mock.Job()
	const count = 50
	var ids []string
	var allocs []*structs.Allocation
	for i := 0; i < count; i++ {
		a := tc.serviceAlloc(job, i, map[string]interface{}{})
		ids, allocs = append(ids, a.ID), append(allocs, a)
	}
	start := time.Now()
	tc.server.upsertAllocs(allocs...)
	tc.waitServerStatus(t, structs.AllocClientStatusRunning, ids...)
	elapsed := time.Since(start)
	_, _, calls := tc.server.counts()
	// Each allocation changes state at least four times on its way to
	// running (received, setup, started, running); unbatched, that is
	// 200 RPCs. Batched, there is one per interval at most, plus one.
	if limit := int(elapsed/(200*time.Millisecond)) + 2; calls > limit {
		t.Fatalf("%d update RPCs in %v, want at most %d", calls, elapsed, limit)
	}
	t.Logf("%d allocs running after %v with %d update RPCs", count, elapsed, calls)
}

func TestClient_RetriesAndReregisters(t *testing.T) {
	t.Parallel()
	srv := newFakeServer()
	srv.failRegister = 2
	srv.ttl = 100 * time.Millisecond
	tc := newTestClient(t, srv, nil)
	tc.waitReady(t)
	if registers, _, _ := srv.counts(); registers != 3 {
		t.Fatalf("%d register calls, want 3 (two failed)", registers)
	}
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		_, hb, _ := srv.counts()
		return hb >= 3, fmt.Sprintf("%d heartbeats", hb)
	})

	srv.forgetNodes()
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		n := srv.node(tc.NodeID())
		return n != nil && n.Status == structs.NodeStatusReady, "node not registered again"
	})
}

func TestClient_DriverHealthUpdatesNode(t *testing.T) {
	t.Parallel()
	tc := newTestClient(t, newFakeServer(), nil)
	tc.waitReady(t)
	tc.driver.SetHealth(sdk.HealthStateUnhealthy, "plugin crashed")
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		n := tc.server.node(tc.NodeID())
		d := n.Drivers[mockdriver.Name]
		_, hasAttr := n.Attributes["driver.mock_driver"]
		return !d.Healthy && d.HealthDescription == "plugin crashed" && !hasAttr,
			fmt.Sprintf("driver info %+v, attribute present %v", d, hasAttr)
	})
}

func TestClient_NodeIdentityPersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := newTestClient(t, newFakeServer(), func(c *Config) { c.DataDir = dir })
	id, secret := first.NodeID(), first.Node().SecretID
	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}
	second := newTestClient(t, newFakeServer(), func(c *Config) { c.DataDir = dir })
	if second.NodeID() != id || second.Node().SecretID != secret {
		t.Fatalf("identity changed across restart: %s -> %s", id, second.NodeID())
	}
	other := newTestClient(t, newFakeServer(), nil)
	if other.NodeID() == id {
		t.Fatal("two data dirs share a node ID")
	}
}

func TestClient_StreamLogs(t *testing.T) {
	t.Parallel()
	tc := newTestClient(t, newFakeServer(), nil)
	tc.waitReady(t)
	job := mock.BatchJob()
	a := tc.serviceAlloc(job, 0, map[string]interface{}{"run_for": "1ms", "stdout_string": "hello from ${NOMAD_TASK_NAME}\n"})
	tc.server.upsertAllocs(a)
	tc.waitServerStatus(t, structs.AllocClientStatusComplete, a.ID)

	cases := []struct {
		name    string
		alloc   string
		task    string
		logType string
		follow  bool
		want    string
		wantErr error
	}{
		{"stdout", a.ID, "web", "stdout", false, "hello from web\n", nil},
		{"follow ends when the task is dead", a.ID, "web", "stdout", true, "hello from web\n", nil},
		{"empty stderr", a.ID, "web", "stderr", false, "", nil},
		{"unknown alloc", "nope", "web", "stdout", false, "", structs.ErrNotFound},
		{"unknown task", a.ID, "nope", "stdout", false, "", structs.ErrNotFound},
		{"bad type", a.ID, "web", "stdin", false, "", structs.ErrBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			var out bytes.Buffer
			err := tc.StreamLogs(ctx, c.alloc, c.task, c.logType, "start", 0, c.follow, &out)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil || ctx.Err() != nil {
				t.Fatalf("stream: %v (ctx %v)", err, ctx.Err())
			}
			if out.String() != c.want {
				t.Fatalf("logs = %q, want %q", out.String(), c.want)
			}
		})
	}
}

// TestClient_Shutdown: a dev agent's data dir is thrown away, so its
// shutdown stops every task and the server hears the final states; any
// other agent leaves its tasks running for the next one to recover.
func TestClient_Shutdown(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dev        bool
		wantServer string
		wantDriver sdk.TaskState
	}{
		{dev: true, wantServer: structs.AllocClientStatusComplete, wantDriver: sdk.TaskStateExited},
		{dev: false, wantServer: structs.AllocClientStatusRunning, wantDriver: sdk.TaskStateRunning},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("dev=%v", c.dev), func(t *testing.T) {
			t.Parallel()
			tc := newTestClient(t, newFakeServer(), func(cfg *Config) { cfg.DevMode = c.dev })
			tc.waitReady(t)
			a := tc.serviceAlloc(mock.Job(), 0, map[string]interface{}{})
			tc.server.upsertAllocs(a)
			tc.waitServerStatus(t, structs.AllocClientStatusRunning, a.ID)
			taskID := tc.taskID(t, a.ID, "web")
			if err := tc.Shutdown(); err != nil {
				t.Fatal(err)
			}
			if got := tc.server.alloc(a.ID).ClientStatus; got != c.wantServer {
				t.Errorf("after shutdown the server sees %q, want %q", got, c.wantServer)
			}
			st, err := tc.driver.InspectTask(taskID)
			if c.wantDriver == sdk.TaskStateExited && errors.Is(err, sdk.ErrTaskNotFound) {
				return // stopped and destroyed
			}
			if err != nil || st.State != c.wantDriver {
				t.Errorf("driver task after shutdown = %+v, %v; want %s", st, err, c.wantDriver)
			}
		})
	}
}

func TestNewClient_BadConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cfg     *Config
		wantErr string
	}{
		{"no data dir", &Config{}, "client config: data_dir is required"},
		{"bad port range", &Config{DataDir: t.TempDir(), MinDynamicPort: 30000, MaxDynamicPort: 20000},
			"client config: dynamic port range 30000-20000 is invalid: it must lie within 1-65535 with min <= max"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewClient(c.cfg, newFakeServer())
			if err == nil || err.Error() != c.wantErr {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}
