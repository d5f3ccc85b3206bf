package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// shutdownLog records the order parts were shut down in.
type shutdownLog struct {
	mu    sync.Mutex
	order []string
}

func (l *shutdownLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.order = append(l.order, s)
}

type fakeServer struct {
	fakeRPC
	leader string
	log    *shutdownLog
}

func (f *fakeServer) Leader() string  { return f.leader }
func (f *fakeServer) Shutdown() error { f.log.add("server"); return nil }

type fakeClient struct {
	log   *shutdownLog
	ready chan struct{} // nil: registered from the start
}

func (f *fakeClient) NodeID() string { return "node-1" }
func (f *fakeClient) StreamLogs(context.Context, string, string, string, string, int64, bool, io.Writer) error {
	return nil
}
func (f *fakeClient) Shutdown() error { f.log.add("client"); return nil }

func (f *fakeClient) Ready() <-chan struct{} {
	if f.ready != nil {
		return f.ready
	}
	return closedCh
}

var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func devTestConfig(t *testing.T) *Config {
	t.Helper()
	cfg, err := LoadConfig([]string{"-dev", "-http-port", "0", "-rpc-port", "0", "-serf-port", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestAgent_StartsAndAnswersHealth(t *testing.T) {
	log := &shutdownLog{}
	srv := &fakeServer{leader: "127.0.0.1:4647", log: log}
	srv.handlers = map[string]func(a, r interface{}) error{
		structs.StatusLeaderRPC: func(a, r interface{}) error {
			r.(*structs.StatusLeaderResponse).Leader = srv.leader
			return nil
		},
	}
	var clientRPC structs.RPCer
	fc := &fakeClient{log: log, ready: make(chan struct{})}
	b := Backends{
		NewServer: func(*Config, hclog.Logger) (ServerBackend, error) { return srv, nil },
		NewClient: func(_ *Config, _ hclog.Logger, rpc structs.RPCer) (ClientBackend, error) {
			clientRPC = rpc
			return fc, nil
		},
	}
	a, err := NewAgent(devTestConfig(t), testLogger(t), b)
	if err != nil {
		t.Fatal(err)
	}
	if clientRPC != srv {
		t.Fatal("the client in a dev agent must talk to the local server")
	}
	c, err := api.NewClient(&api.Config{Address: "http://" + a.HTTPAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	// Until the node is registered nothing can be placed: not healthy yet.
	if _, err := c.Agent().Health(); err == nil || !strings.Contains(err.Error(), "node not registered") {
		t.Fatalf("health before the node registered: %v", err)
	}
	close(fc.ready)
	h, err := c.Agent().Health()
	if err != nil {
		t.Fatal(err)
	}
	if h.Server == nil || !h.Server.Ok || h.Client == nil || !h.Client.Ok {
		t.Fatalf("health %+v", h)
	}
	leader, err := c.Status().Leader()
	if err != nil || leader != "127.0.0.1:4647" {
		t.Fatalf("leader %q (%v)", leader, err)
	}
	self, err := c.Agent().Self()
	if err != nil || self.Stats["client"]["node_id"] != "node-1" || self.Config["DevMode"] != true {
		t.Fatalf("self %+v (%v)", self, err)
	}

	srv.leader = ""
	if _, err := c.Agent().Health(); err == nil || !strings.Contains(err.Error(), "No cluster leader") {
		t.Fatalf("health without a leader: %v", err)
	}

	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatal("second shutdown:", err)
	}
	if fmt.Sprint(log.order) != "[client server]" {
		t.Fatalf("shutdown order %v, want client before server", log.order)
	}
}

func TestAgent_FailedClientStopsServer(t *testing.T) {
	log := &shutdownLog{}
	b := Backends{
		NewServer: func(*Config, hclog.Logger) (ServerBackend, error) { return &fakeServer{log: log}, nil },
		NewClient: func(*Config, hclog.Logger, structs.RPCer) (ClientBackend, error) {
			return nil, errors.New("no drivers")
		},
	}
	_, err := NewAgent(devTestConfig(t), testLogger(t), b)
	if err == nil || !strings.Contains(err.Error(), "start client: no drivers") {
		t.Fatalf("err = %v", err)
	}
	if fmt.Sprint(log.order) != "[server]" {
		t.Fatalf("shutdown %v: the started server must be stopped", log.order)
	}
}

func TestAgent_MissingBackend(t *testing.T) {
	_, err := NewAgent(devTestConfig(t), testLogger(t), Backends{})
	if err == nil || !strings.Contains(err.Error(), "this build has no server") {
		t.Fatalf("err = %v", err)
	}
}
