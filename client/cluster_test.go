package client

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// startMockClient starts a dev-mode client with the mock driver over rpc.
func startMockClient(t *testing.T, name string, rpc structs.RPCer) *Client {
	t.Helper()
	logger := clienttest.Logger(t).Named(name)
	c, err := NewClient(&Config{
		Logger:         logger,
		DataDir:        t.TempDir(),
		NodeName:       name,
		DevMode:        true,
		Drivers:        map[string]sdk.Driver{mockdriver.Name: mockdriver.New(logger)},
		UpdateInterval: 50 * time.Millisecond,
	}, rpc)
	if err != nil {
		t.Fatalf("start client %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

func waitClientReady(t *testing.T, c *Client, within time.Duration) {
	t.Helper()
	select {
	case <-c.Ready():
	case <-time.After(within):
		t.Fatalf("client %s not ready within %v", c.NodeID(), within)
	}
}

// TestClient_FailsOverToAnotherServer shuts down the server a client talks
// to and checks the client keeps heartbeating through another, so its
// node stays ready.
func TestClient_FailsOverToAnotherServer(t *testing.T) {
	t.Parallel()
	servers := nomadtest.TestCluster(t, 3, func(_ int, cfg *nomadlike.Config) {
		cfg.NumSchedulers = -1
		cfg.MinHeartbeatTTL = 300 * time.Millisecond
		cfg.HeartbeatGrace = 500 * time.Millisecond
		cfg.FailoverHeartbeatTTL = 2 * time.Second
	})
	var addrs []string
	for _, s := range servers {
		addrs = append(addrs, s.RPCAddr().String())
	}
	list, err := NewServers(addrs, nomadlike.DefaultRPCPort, clienttest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(list.Close)
	rpc := &countingRPC{Servers: list, method: structs.NodeUpdateStatusRPC}
	c := startMockClient(t, "node-a", rpc)
	waitClientReady(t, c, 15*time.Second)

	current := list.List()[0]
	var survivors []*nomadlike.Server
	for _, s := range servers {
		if s.RPCAddr().String() == current {
			if err := s.Shutdown(); err != nil {
				t.Fatalf("shut down %s: %v", current, err)
			}
			continue
		}
		survivors = append(survivors, s)
	}
	okBefore := rpc.ok.Load()
	clienttest.WaitFor(t, 20*time.Second, func() (bool, string) {
		if got := list.List()[0]; got == current {
			return false, "client still on the server that was shut down"
		}
		if n := rpc.ok.Load() - okBefore; n < 3 {
			return false, fmt.Sprintf("%d heartbeats succeeded since the shutdown, want 3", n)
		}
		return true, ""
	})
	// Heartbeats got through, so no survivor may think the node is down.
	for _, s := range survivors {
		node, err := s.State().NodeByID(nil, c.NodeID())
		if err != nil || node == nil || node.Status != structs.NodeStatusReady {
			t.Fatalf("server %s sees node %v (err %v), want it ready", s.RPCAddr(), node, err)
		}
	}
}

// TestClient_KeepsRetryingWithoutServers points a client at an address no
// server listens on: it keeps trying, and registers once a server starts
// there.
func TestClient_KeepsRetryingWithoutServers(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	list, err := NewServers([]string{addr}, nomadlike.DefaultRPCPort, clienttest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(list.Close)
	rpc := &countingRPC{Servers: list, method: structs.NodeRegisterRPC}
	c := startMockClient(t, "node-lonely", rpc)
	clienttest.WaitFor(t, 10*time.Second, func() (bool, string) {
		n := rpc.failed.Load()
		return n >= 2, fmt.Sprintf("%d failed registrations, want 2", n)
	})
	select {
	case <-c.Ready():
		t.Fatal("client ready without a server")
	default:
	}

	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := nomadtest.TestServer(t, func(cfg *nomadlike.Config) {
		cfg.NumSchedulers = -1
		cfg.RPCAddr = tcp
	})
	waitClientReady(t, c, 15*time.Second)
	if node, err := srv.State().NodeByID(nil, c.NodeID()); err != nil || node == nil {
		t.Fatalf("server does not know the node after the client became ready: %v", err)
	}
}

// partitionRPC cuts a client off from its server while cut is set: calls
// fail, and so do calls that were under way when the cut began, as their
// answers would be lost on a real network.
type partitionRPC struct {
	rpc structs.RPCer
	cut atomic.Bool
}

var errPartitioned = errors.New("partitioned from the servers")

func (p *partitionRPC) RPC(method string, args, reply interface{}) error {
	if p.cut.Load() {
		return errPartitioned
	}
	err := p.rpc.RPC(method, args, reply)
	if p.cut.Load() {
		return errPartitioned
	}
	return err
}

// TestClient_LostNode cuts the node running an allocation off: the servers
// mark it down, the allocation lost, and place a replacement on the other
// node; when the node comes back it stops the lost allocation.
func TestClient_LostNode(t *testing.T) {
	t.Parallel()
	srv := nomadtest.TestServer(t, func(cfg *nomadlike.Config) {
		cfg.MinHeartbeatTTL = 300 * time.Millisecond
		cfg.HeartbeatGrace = 300 * time.Millisecond
	})
	nets := map[string]*partitionRPC{}
	clients := map[string]*Client{}
	for _, name := range []string{"node-a", "node-b"} {
		p := &partitionRPC{rpc: srv}
		c := startMockClient(t, name, p)
		waitClientReady(t, c, 15*time.Second)
		nets[c.NodeID()], clients[c.NodeID()] = p, c
	}

	job := mock.Job()
	job.TaskGroups[0].Count = 1
	task := job.TaskGroups[0].Tasks[0]
	task.Driver, task.Config, task.KillTimeout = mockdriver.Name, map[string]interface{}{}, time.Second
	var reg structs.JobRegisterResponse
	if err := srv.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reg); err != nil {
		t.Fatal(err)
	}
	first := waitRunningAlloc(t, srv, job, "")

	lostNode := first.NodeID
	nets[lostNode].cut.Store(true)
	replacement := waitRunningAlloc(t, srv, job, lostNode)
	old, err := srv.State().AllocByID(nil, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.ClientStatus != structs.AllocClientStatusLost || old.DesiredStatus != structs.AllocDesiredStatusStop {
		t.Fatalf("old allocation is %s/%s, want client status lost and desired stop", old.ClientStatus, old.DesiredStatus)
	}
	if node, _ := srv.State().NodeByID(nil, lostNode); node == nil || node.Status != structs.NodeStatusDown {
		t.Fatalf("cut-off node is %v, want down", node)
	}

	nets[lostNode].cut.Store(false)
	clienttest.WaitFor(t, 15*time.Second, func() (bool, string) {
		a, ok := clients[lostNode].GetAllocState(first.ID)
		if !ok {
			return true, ""
		}
		if a.ClientTerminalStatus() {
			return true, ""
		}
		return false, fmt.Sprintf("returned node still runs the lost allocation (client status %s)", a.ClientStatus)
	})
	if a, ok := clients[replacement.NodeID].GetAllocState(replacement.ID); !ok || a.ClientStatus != structs.AllocClientStatusRunning {
		t.Fatalf("replacement %s is not running on node %s", replacement.ID, replacement.NodeID)
	}
}

// waitRunningAlloc waits until job has an allocation running on a node
// other than notNode, as the server sees it, and returns it.
func waitRunningAlloc(t *testing.T, srv *nomadlike.Server, job *structs.Job, notNode string) *structs.Allocation {
	t.Helper()
	var found *structs.Allocation
	clienttest.WaitFor(t, 20*time.Second, func() (bool, string) {
		allocs, err := srv.State().AllocsByJob(nil, job.Namespace, job.ID)
		if err != nil {
			return false, err.Error()
		}
		for _, a := range allocs {
			if a.NodeID != notNode && a.ClientStatus == structs.AllocClientStatusRunning &&
				a.DesiredStatus == structs.AllocDesiredStatusRun {
				found = a
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d allocations, none running outside node %q", len(allocs), notNode)
	})
	return found
}
