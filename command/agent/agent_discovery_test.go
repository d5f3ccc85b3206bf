package agent

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestAgent_Discovery: DNS and the load balancer start after the client,
// talk to the same RPC endpoint, and stop before everything else.
func TestAgent_Discovery(t *testing.T) {
	log := &shutdownLog{}
	srv := &fakeServer{leader: "127.0.0.1:4647", log: log}
	fc := &fakeClient{log: log, ready: make(chan struct{})}
	var gotRPC structs.RPCer
	b := Backends{
		NewServer: func(*Config, hclog.Logger) (ServerBackend, error) { return srv, nil },
		NewClient: func(*Config, hclog.Logger, structs.RPCer) (ClientBackend, error) { return fc, nil },
		StartDiscovery: func(_ *Config, _ hclog.Logger, rpc structs.RPCer) (func() error, error) {
			gotRPC = rpc
			return func() error { log.add("discovery"); return nil }, nil
		},
	}
	a, err := NewAgent(devTestConfig(t), testLogger(t), b)
	if err != nil {
		t.Fatal(err)
	}
	if gotRPC != srv {
		t.Fatal("discovery must read the catalog through the agent's RPC endpoint")
	}
	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(log.order) != "[discovery client server]" {
		t.Fatalf("shutdown order %v, want discovery first", log.order)
	}

	t.Run("a failure stops the agent", func(t *testing.T) {
		log := &shutdownLog{}
		b.NewServer = func(*Config, hclog.Logger) (ServerBackend, error) { return &fakeServer{log: log}, nil }
		b.NewClient = func(*Config, hclog.Logger, structs.RPCer) (ClientBackend, error) { return &fakeClient{log: log}, nil }
		b.StartDiscovery = func(*Config, hclog.Logger, structs.RPCer) (func() error, error) {
			return nil, errors.New("dns: listen tcp 127.0.0.1:8600: address already in use")
		}
		_, err := NewAgent(devTestConfig(t), testLogger(t), b)
		if err == nil || !strings.Contains(err.Error(), "start discovery: dns: listen") {
			t.Fatalf("err = %v", err)
		}
		if fmt.Sprint(log.order) != "[client server]" {
			t.Fatalf("shutdown order %v", log.order)
		}
	})
}
