package client

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// catalogServer adds the service catalog RPCs to the fake server.
type catalogServer struct {
	*fakeServer
	mu      sync.Mutex
	upserts int
	regs    map[string]*structs.ServiceRegistration
	deletes []string
}

func (s *catalogServer) RPC(method string, args, reply interface{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case structs.ServiceRegistrationUpsertRPC:
		s.upserts++
		for _, r := range args.(*structs.ServiceRegistrationUpsertRequest).Services {
			s.regs[r.ID] = r
		}
		return nil
	case structs.ServiceRegistrationDeleteRPC:
		id := args.(*structs.ServiceRegistrationDeleteByIDRequest).ID
		s.deletes = append(s.deletes, id)
		delete(s.regs, id)
		return nil
	}
	s.mu.Unlock()
	defer s.mu.Lock()
	return s.fakeServer.RPC(method, args, reply)
}

func (s *catalogServer) state() (upserts, registered, deletes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upserts, len(s.regs), len(s.deletes)
}

// A client registers its allocation's service, leaves it registered when
// it shuts down with the task running, registers it again after a
// restart, and deregisters it when the servers stop the allocation.
func TestClient_ServicesAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := &catalogServer{fakeServer: newFakeServer(), regs: map[string]*structs.ServiceRegistration{}}
	t.Cleanup(srv.close)
	drv := mockdriver.New(clienttest.Logger(t))
	dataDir := t.TempDir()
	first := startCatalogClient(t, srv, dataDir, drv)

	job := mock.Job()
	task := job.TaskGroups[0].Tasks[0]
	task.Driver, task.Config, task.KillTimeout = mockdriver.Name, map[string]interface{}{}, time.Second
	task.Services = []*structs.Service{{Name: "web", Provider: "orch"}}
	alloc := mock.AllocFor(job, first.Node(), 0)
	srv.upsertAllocs(alloc)
	waitCatalog(t, srv, "registered", func(upserts, registered, deletes int) bool { return registered == 1 })

	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}
	upsertsBefore, registered, deletes := srv.state()
	if registered != 1 || deletes != 0 {
		t.Fatalf("after shutdown: %d registered, %d deletes; want the instance kept", registered, deletes)
	}
	startCatalogClient(t, srv, dataDir, drv)
	waitCatalog(t, srv, "registered again", func(upserts, registered, deletes int) bool { return upserts > upsertsBefore })

	srv.stopAlloc(alloc.ID)
	waitCatalog(t, srv, "deregistered", func(upserts, registered, deletes int) bool { return registered == 0 && deletes == 1 })
}

func startCatalogClient(t *testing.T, srv *catalogServer, dataDir string, drv *mockdriver.Driver) *Client {
	t.Helper()
	c, err := NewClient(&Config{
		Logger: clienttest.Logger(t), DataDir: dataDir, NodeName: "test-node",
		Drivers: map[string]sdk.Driver{mockdriver.Name: drv}, UpdateInterval: 20 * time.Millisecond,
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

func waitCatalog(t *testing.T, srv *catalogServer, what string, cond func(upserts, registered, deletes int) bool) {
	t.Helper()
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		u, r, d := srv.state()
		return cond(u, r, d), fmt.Sprintf("%s: %d upserts, %d registered, %d deletes", what, u, r, d)
	})
}
