package nomadtest

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike"
)

// clusterWait bounds how long a test cluster may take to elect a leader
// and agree on its members; generous because the race detector and a
// shared 2-core machine slow everything down.
const clusterWait = 30 * time.Second

// FastGossip shortens memberlist's intervals so a test sees joins within
// tens of milliseconds and a killed server marked failed within about a
// second.
func FastGossip(mc *memberlist.Config) {
	mc.ProbeInterval = 100 * time.Millisecond
	mc.ProbeTimeout = 50 * time.Millisecond
	mc.GossipInterval = 20 * time.Millisecond
	mc.PushPullInterval = time.Second
	mc.SuspicionMult = 2
	mc.TCPTimeout = time.Second
	mc.GossipToTheDeadTime = time.Second
}

// FastRaft shortens Raft's timeouts for clusters of several in-process
// servers, still well above a local round trip under the race detector.
func FastRaft(rc *raft.Config) {
	rc.HeartbeatTimeout = 250 * time.Millisecond
	rc.ElectionTimeout = 250 * time.Millisecond
	rc.LeaderLeaseTimeout = 125 * time.Millisecond
	rc.CommitTimeout = 5 * time.Millisecond
}

// ClusterServerConfig is the config of one non-dev server of a test
// cluster: Raft in boltdb under a temporary directory, RPC and gossip on
// 127.0.0.1 port 0, fast gossip and Raft, a short dead-server threshold.
func ClusterServerConfig(t testing.TB, name string, expect int) *nomadlike.Config {
	t.Helper()
	loopback := func() *net.TCPAddr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0} }
	return &nomadlike.Config{
		Logger:          Logger(t, name),
		NodeName:        name,
		DataDir:         t.TempDir(),
		RPCAddr:         loopback(),
		BootstrapExpect: expect,
		NumSchedulers:   1,
		Build:           "test",
		Gossip: nomadlike.GossipConfig{
			BindAddr:      loopback(),
			RetryInterval: 200 * time.Millisecond,
			Tune:          FastGossip,
		},
		Autopilot: nomadlike.AutopilotConfig{DeadServerThreshold: time.Second},
		RaftTune:  FastRaft,
	}
}

// StartServer starts a server from cfg and shuts it down when the test
// ends (a no-op if the test already did).
func StartServer(t testing.TB, cfg *nomadlike.Config) *nomadlike.Server {
	t.Helper()
	s, err := nomadlike.NewServer(cfg)
	if err != nil {
		t.Fatalf("start server %s: %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	return s
}

// TestCluster starts n servers with bootstrap_expect n, each joining the
// first by gossip, lets cb adjust each config (i is the server's index),
// and waits until they have elected a leader and all hold the same n
// voters.
func TestCluster(t testing.TB, n int, cb func(i int, cfg *nomadlike.Config)) []*nomadlike.Server {
	t.Helper()
	servers := make([]*nomadlike.Server, 0, n)
	for i := 0; i < n; i++ {
		cfg := ClusterServerConfig(t, fmt.Sprintf("server-%d", i), n)
		if i > 0 {
			cfg.Gossip.RetryJoin = []string{servers[0].GossipAddr()}
		}
		if cb != nil {
			cb(i, cfg)
		}
		servers = append(servers, StartServer(t, cfg))
	}
	WaitForCluster(t, servers)
	return servers
}

// WaitForCluster waits until exactly one of servers leads, every one
// knows it, and every one's Raft configuration holds exactly these
// servers as voters. It returns the leader.
func WaitForCluster(t testing.TB, servers []*nomadlike.Server) *nomadlike.Server {
	t.Helper()
	var leader *nomadlike.Server
	want := make([]string, len(servers))
	for i, s := range servers {
		want[i] = s.RPCAddr().String()
	}
	sort.Strings(want)
	WaitFor(t, clusterWait, func() error {
		leader = nil
		for _, s := range servers {
			if s.IsLeader() {
				if leader != nil {
					return fmt.Errorf("two leaders: %s and %s", leader.RPCAddr(), s.RPCAddr())
				}
				leader = s
			}
		}
		if leader == nil {
			return fmt.Errorf("no leader among %v", want)
		}
		for _, s := range servers {
			if got := s.Leader(); got != leader.RPCAddr().String() {
				return fmt.Errorf("server %s sees leader %q, want %s", s.RPCAddr(), got, leader.RPCAddr())
			}
			got, err := VoterAddrs(s)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("server %s has voters %v, want %v", s.RPCAddr(), got, want)
			}
		}
		return nil
	})
	return leader
}

// VoterAddrs is the sorted addresses of the voters in s's Raft
// configuration.
func VoterAddrs(s *nomadlike.Server) ([]string, error) {
	servers, err := s.RaftServers()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, srv := range servers {
		if srv.Suffrage == raft.Voter {
			out = append(out, string(srv.Address))
		}
	}
	sort.Strings(out)
	return out, nil
}
