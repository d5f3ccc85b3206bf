package agent

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
)

// TestAgent_JoinAndMembers drives gossip through the HTTP API: an agent
// whose server expects two joins a second server with PUT /v1/agent/join,
// then both show in /v1/agent/members and the two elect a leader.
func TestAgent_JoinAndMembers(t *testing.T) {
	t.Parallel()
	other := nomadtest.StartServer(t, nomadtest.ClusterServerConfig(t, "b", 2))
	cfg, err := LoadConfig([]string{"-server", "-data-dir", t.TempDir(), "-bind", "127.0.0.1",
		"-http-port", "0", "-rpc-port", "0", "-serf-port", "0", "-node", "a"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b := Backends{NewServer: func(*Config, hclog.Logger) (ServerBackend, error) {
		return nomadlike.NewServer(nomadtest.ClusterServerConfig(t, "a", 2))
	}}
	a, err := NewAgent(cfg, testLogger(t), b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	c, err := api.NewClient(&api.Config{Address: "http://" + a.HTTPAddr().String()})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := c.Agent().Join("127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "nothing answered") {
		t.Errorf("join of a closed port: %v, want an error saying nothing answered", err)
	}
	n, err := c.Agent().Join(other.GossipAddr())
	if err != nil || n != 1 {
		t.Fatalf("join: %d, %v", n, err)
	}
	nomadtest.WaitFor(t, 20*time.Second, func() error {
		m, err := c.Agent().Members()
		if err != nil {
			return err
		}
		var alive []string
		for _, mem := range m.Members {
			if mem.Status == "alive" && mem.Tags["role"] == "server" && mem.Tags["region"] == "global" {
				alive = append(alive, mem.Name)
			}
		}
		if strings.Join(alive, ",") != "a.global,b.global" {
			return fmt.Errorf("alive servers %v, want a.global and b.global", alive)
		}
		leader, err := c.Status().Leader()
		if err != nil || leader == "" {
			return fmt.Errorf("no leader yet (%v)", err)
		}
		return nil
	})
}
