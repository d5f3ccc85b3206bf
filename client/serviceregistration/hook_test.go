package serviceregistration

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeCatalog records what the hook sends.
type fakeCatalog struct {
	mu      sync.Mutex
	regs    map[string]*structs.ServiceRegistration
	deletes []string
	fail    atomic.Bool
}

func (f *fakeCatalog) RPC(method string, args, reply interface{}) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail.Load() {
		return structs.ErrNoLeader
	}
	switch method {
	case structs.ServiceRegistrationUpsertRPC:
		for _, r := range args.(*structs.ServiceRegistrationUpsertRequest).Services {
			f.regs[r.ID] = r
		}
	case structs.ServiceRegistrationDeleteRPC:
		id := args.(*structs.ServiceRegistrationDeleteByIDRequest).ID
		f.deletes = append(f.deletes, id)
		delete(f.regs, id)
	}
	return nil
}

func (f *fakeCatalog) statuses() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string)
	for _, r := range f.regs {
		out[r.ServiceName] = r.Status
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// healthServer answers 200 until unhealthy is set, then 500.
func healthServer(t *testing.T) (*atomic.Bool, int) {
	t.Helper()
	var unhealthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unhealthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return &unhealthy, p
}

func serviceAlloc(port int, cr *structs.CheckRestart) *structs.Allocation {
	job := mock.Job()
	task := job.TaskGroups[0].Tasks[0]
	task.Services = []*structs.Service{{
		Name: "web", PortLabel: strconv.Itoa(port), Tags: []string{"v1"},
		Checks: []*structs.ServiceCheck{{Name: "alive", Type: "http", Path: "/", Interval: 20 * time.Millisecond,
			Timeout: time.Second, CheckRestart: cr}},
	}, {Name: "plain", PortLabel: strconv.Itoa(port)}}
	alloc := mock.AllocFor(job, mock.Node(), 0)
	alloc.TaskStates = map[string]*structs.TaskState{task.Name: {State: structs.TaskStatePending}}
	return alloc
}

func running(alloc *structs.Allocation, restarts uint64) *structs.Allocation {
	cp := *alloc
	cp.TaskStates = map[string]*structs.TaskState{}
	for name := range alloc.TaskStates {
		st := &structs.TaskState{State: structs.TaskStateRunning, StartedAt: time.Unix(100, 0), Restarts: restarts}
		if restarts > 0 {
			st.LastRestart = time.Unix(100+int64(restarts), 0)
		}
		cp.TaskStates[name] = st
	}
	return &cp
}

func TestHook_RegistersChecksAndDeregisters(t *testing.T) {
	t.Parallel()
	unhealthy, port := healthServer(t)
	cat := &fakeCatalog{regs: map[string]*structs.ServiceRegistration{}}
	alloc := serviceAlloc(port, nil)
	h := New(&Config{Logger: hclog.NewNullLogger(), Alloc: alloc, Node: mock.Node(), RPC: cat})
	go h.Run()
	t.Cleanup(func() { h.Stop(false) })

	h.Update(alloc)
	if _, known := h.ChecksHealthy(); known {
		t.Fatal("health known before the task runs")
	}
	h.Update(running(alloc, 0))
	waitFor(t, "both instances passing", func() bool {
		s := cat.statuses()
		return s["web"] == structs.HealthPassing && s["plain"] == structs.HealthPassing
	})
	if healthy, known := h.ChecksHealthy(); !healthy || !known {
		t.Errorf("ChecksHealthy = %v, %v; want true, true", healthy, known)
	}

	unhealthy.Store(true)
	waitFor(t, "web critical", func() bool { return cat.statuses()["web"] == structs.HealthCritical })
	if healthy, known := h.ChecksHealthy(); healthy || !known {
		t.Errorf("ChecksHealthy = %v, %v; want false, true", healthy, known)
	}
	if s := cat.statuses()["plain"]; s != structs.HealthPassing {
		t.Errorf("service without checks is %s", s)
	}

	// A server stop leaves deregistration to the alloc runner's stop
	// sequence; the allocation finishing deregisters what is left.
	stopped := running(alloc, 0)
	stopped.DesiredStatus = structs.AllocDesiredStatusStop
	h.Update(stopped)
	done := *stopped
	done.ClientStatus = structs.AllocClientStatusComplete
	h.Update(&done)
	waitFor(t, "instances deregistered", func() bool { return len(cat.statuses()) == 0 })
	select {
	case <-h.doneCh:
	case <-time.After(10 * time.Second):
		t.Fatal("hook still running after its allocation finished")
	}
}

// Deregister takes out exactly the instances of one owner, synchronously,
// and they stay out while their checks keep reporting; the other owner's
// instances keep being registered and updated.
func TestHook_DeregisterByOwner(t *testing.T) {
	t.Parallel()
	unhealthy, port := healthServer(t)
	cat := &fakeCatalog{regs: map[string]*structs.ServiceRegistration{}}
	alloc := serviceAlloc(port, nil)
	tg := alloc.Job.TaskGroups[0]
	task := tg.Tasks[0].Name
	tg.Services = []*structs.Service{{Name: "grp", PortLabel: strconv.Itoa(port),
		Checks: []*structs.ServiceCheck{{Name: "g", Type: "http", Path: "/", Interval: 20 * time.Millisecond, Timeout: time.Second}}}}
	h := New(&Config{Logger: hclog.NewNullLogger(), Alloc: alloc, Node: mock.Node(), RPC: cat})
	go h.Run()
	t.Cleanup(func() { h.Stop(false) })
	h.Update(running(alloc, 0))
	waitFor(t, "three instances passing", func() bool {
		s := cat.statuses()
		return len(s) == 3 && s["grp"] == structs.HealthPassing && s["web"] == structs.HealthPassing
	})

	stopped := running(alloc, 0)
	stopped.DesiredStatus = structs.AllocDesiredStatusStop
	h.Update(stopped)
	h.Deregister("")
	if s := cat.statuses(); len(s) != 2 || s["grp"] != "" {
		t.Fatalf("after deregistering the group's services: %v, want web and plain only", s)
	}
	// Both checks turn critical: the task's instance is updated, the
	// deregistered group instance must not come back.
	unhealthy.Store(true)
	waitFor(t, "web critical", func() bool { return cat.statuses()["web"] == structs.HealthCritical })
	base := countResults(h)
	waitFor(t, "more check results", func() bool { return countResults(h) >= base+6 })
	if s := cat.statuses(); s["grp"] != "" {
		t.Fatalf("group instance registered again: %v", s)
	}
	h.Deregister(task)
	if s := cat.statuses(); len(s) != 0 {
		t.Fatalf("after deregistering the task's services: %v, want none", s)
	}
	cat.mu.Lock()
	deletes := len(cat.deletes)
	cat.mu.Unlock()
	if deletes != 3 {
		t.Fatalf("%d deletes, want one per instance", deletes)
	}
}

func TestHook_RetriesFailedUpserts(t *testing.T) {
	t.Parallel()
	_, port := healthServer(t)
	cat := &fakeCatalog{regs: map[string]*structs.ServiceRegistration{}}
	cat.fail.Store(true)
	alloc := serviceAlloc(port, nil)
	h := New(&Config{Logger: hclog.NewNullLogger(), Alloc: alloc, Node: mock.Node(), RPC: cat})
	go h.Run()
	t.Cleanup(func() { h.Stop(false) })
	h.Update(running(alloc, 0))
	waitFor(t, "a check result", func() bool { _, known := h.ChecksHealthy(); return known })
	cat.fail.Store(false)
	waitFor(t, "registration after the servers came back", func() bool { return cat.statuses()["web"] == structs.HealthPassing })
}

func TestHook_CheckRestart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		cr           *structs.CheckRestart
		wantRestarts bool
	}{
		{"limit reached restarts", &structs.CheckRestart{Limit: 3}, true},
		{"long grace holds", &structs.CheckRestart{Limit: 1, Grace: time.Hour}, false},
		{"no check_restart", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			unhealthy, port := healthServer(t)
			unhealthy.Store(true)
			cat := &fakeCatalog{regs: map[string]*structs.ServiceRegistration{}}
			alloc := serviceAlloc(port, tc.cr)
			var restarts atomic.Int32
			h := New(&Config{Logger: hclog.NewNullLogger(), Alloc: alloc, Node: mock.Node(), RPC: cat,
				Restart: func(task, reason string) error { restarts.Add(1); return nil }})
			go h.Run()
			t.Cleanup(func() { h.Stop(false) })
			h.Update(running(alloc, 0))
			// Ten failing results: three in a row must restart, a grace
			// of an hour must not.
			waitFor(t, "ten check results", func() bool {
				return cat.statuses()["web"] == structs.HealthCritical && h.results != nil && countResults(h) >= 10
			})
			if got := restarts.Load() > 0; got != tc.wantRestarts {
				t.Errorf("restarted: %v, want %v", got, tc.wantRestarts)
			}
		})
	}
}

func countResults(h *Hook) int64 { return h.applied.Load() }

func TestHook_ChecksHealthyHonoursOnUpdate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, onUpdate, status string
		healthy, known         bool
	}{
		{"passing", "require_healthy", structs.HealthPassing, true, true},
		{"warning required healthy", "require_healthy", structs.HealthWarning, false, true},
		{"warning ignored", "ignore_warnings", structs.HealthWarning, true, true},
		{"critical ignored entirely", "ignore", structs.HealthCritical, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alloc := serviceAlloc(80, nil)
			h := New(&Config{Alloc: alloc, Node: mock.Node(), RPC: &fakeCatalog{regs: map[string]*structs.ServiceRegistration{}}})
			cs := h.instances[0].checks[0]
			cs.check.OnUpdate, cs.status, cs.reported = tc.onUpdate, tc.status, true
			if healthy, known := h.ChecksHealthy(); healthy != tc.healthy || known != tc.known {
				t.Errorf("ChecksHealthy = %v, %v; want %v, %v", healthy, known, tc.healthy, tc.known)
			}
		})
	}
}
