package nomadlike_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
)

const gossipWait = 20 * time.Second

func gossipKey(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(key)
}

// memberStatus is how s's gossip sees the member named name, "" when it
// does not know it.
func memberStatus(s *nomadlike.Server, name string) nomadlike.MemberStatus {
	for _, m := range s.Members() {
		if m.Name == name {
			return m.Status
		}
	}
	return ""
}

func TestGossip_ClusterBootstrapsAndAgrees(t *testing.T) {
	t.Parallel()
	key := gossipKey(t)
	servers := nomadtest.TestCluster(t, 3, func(i int, cfg *nomadlike.Config) {
		cfg.Gossip.EncryptKey = key
	})
	for _, s := range servers {
		members := s.Members()
		if len(members) != 3 {
			t.Fatalf("server %s sees %d members, want 3: %+v", s.LocalMemberName(), len(members), members)
		}
		for _, m := range members {
			if m.Status != nomadlike.MemberAlive {
				t.Errorf("%s sees %s as %s", s.LocalMemberName(), m.Name, m.Status)
			}
			for tag, want := range map[string]string{"role": "server", "region": "global", "dc": "dc1", "build": "test", "expect": "3"} {
				if m.Tags[tag] != want {
					t.Errorf("%s: member %s tag %s = %q, want %q", s.LocalMemberName(), m.Name, tag, m.Tags[tag], want)
				}
			}
			if m.Tags["id"] == "" || m.Tags["rpc_addr"] == "" {
				t.Errorf("member %s lacks its raft id or address: %v", m.Name, m.Tags)
			}
		}
	}
}

func TestAutopilot_LateServerBecomesVoter(t *testing.T) {
	t.Parallel()
	// The cluster's own bootstrap_expect, or 0 as Nomad operators set on a
	// server meant only to join.
	for _, expect := range []int{3, 0} {
		t.Run(fmt.Sprintf("bootstrap_expect=%d", expect), func(t *testing.T) {
			t.Parallel()
			servers := nomadtest.TestCluster(t, 3, nil)
			cfg := nomadtest.ClusterServerConfig(t, "server-late", expect)
			cfg.Gossip.RetryJoin = []string{servers[1].GossipAddr()}
			late := nomadtest.StartServer(t, cfg)
			nomadtest.WaitForCluster(t, append(servers, late))
		})
	}
}

func TestAutopilot_ServerRemovedFromRaft(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		leave      bool
		wantStatus nomadlike.MemberStatus
	}{
		{name: "killed server after the grace period", wantStatus: nomadlike.MemberFailed},
		{name: "server that left", leave: true, wantStatus: nomadlike.MemberLeft},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			servers := nomadtest.TestCluster(t, 3, nil)
			leader := nomadtest.WaitForCluster(t, servers)
			var gone *nomadlike.Server
			var rest []*nomadlike.Server
			for _, s := range servers {
				if s != leader && gone == nil {
					gone = s
					continue
				}
				rest = append(rest, s)
			}
			if tc.leave {
				if err := gone.Leave(); err != nil {
					t.Fatalf("leave: %v", err)
				}
			}
			if err := gone.Shutdown(); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			nomadtest.WaitFor(t, gossipWait, func() error {
				if got := memberStatus(leader, gone.LocalMemberName()); got != tc.wantStatus {
					return fmt.Errorf("leader sees %s as %q, want %q", gone.LocalMemberName(), got, tc.wantStatus)
				}
				return nil
			})
			nomadtest.WaitForCluster(t, rest)
		})
	}
}

func TestAutopilot_KeepsQuorumOfFailedServers(t *testing.T) {
	t.Parallel()
	servers := nomadtest.TestCluster(t, 3, func(i int, cfg *nomadlike.Config) {
		cfg.Autopilot.DeadServerThreshold = 100 * time.Millisecond
	})
	leader := nomadtest.WaitForCluster(t, servers)
	var followers []*nomadlike.Server
	for _, s := range servers {
		if s != leader {
			followers = append(followers, s)
		}
	}
	// One failed follower goes; with it gone, the leader and the other
	// follower are the quorum of three, so the second failure must stay.
	_ = followers[0].Shutdown()
	nomadtest.WaitForCluster(t, []*nomadlike.Server{leader, followers[1]})
	_ = followers[1].Shutdown()
	nomadtest.WaitFor(t, gossipWait, func() error {
		if got := memberStatus(leader, followers[1].LocalMemberName()); got != nomadlike.MemberFailed {
			return fmt.Errorf("leader sees %s as %q, want failed", followers[1].LocalMemberName(), got)
		}
		return nil
	})
	// The leader lost its quorum and steps down; whatever it does, its
	// configuration must still hold both of them.
	nomadtest.WaitFor(t, gossipWait, func() error {
		got, err := nomadtest.VoterAddrs(leader)
		if err != nil {
			return err
		}
		if len(got) != 2 {
			t.Fatalf("voters = %v, want the leader and the second failed follower", got)
		}
		if leader.IsLeader() {
			return fmt.Errorf("leader without a quorum still leads")
		}
		return nil
	})
}

func TestGossip_OtherRegionRefused(t *testing.T) {
	t.Parallel()
	global := nomadtest.TestCluster(t, 1, nil)[0]
	logger, logs := nomadtest.CaptureLogger(t, "eu")
	cfg := nomadtest.ClusterServerConfig(t, "server-eu", 1)
	cfg.Logger = logger
	cfg.Region = "eu"
	cfg.Gossip.RetryJoin = []string{global.GossipAddr()}
	cfg.Gossip.RetryMax = 2
	eu := nomadtest.StartServer(t, cfg)

	nomadtest.WaitFor(t, gossipWait, func() error {
		if logs.Find("giving up joining") == "" {
			return fmt.Errorf("join attempts not over yet")
		}
		return nil
	})
	want := `refusing server server-0.global from region "global": this server is in region "eu"`
	if logs.Find(want) == "" {
		t.Errorf("no log line %q", want)
	}
	if logs.Find("failed to join: refused: the servers there are of another region") == "" {
		t.Errorf("the failed join does not say why")
	}
	for s, other := range map[*nomadlike.Server]*nomadlike.Server{global: eu, eu: global} {
		if got := memberStatus(s, other.LocalMemberName()); got != "" {
			t.Errorf("%s knows %s as %s", s.LocalMemberName(), other.LocalMemberName(), got)
		}
	}
}

func TestGossip_WrongKeyCannotJoin(t *testing.T) {
	t.Parallel()
	first := nomadtest.TestCluster(t, 1, func(i int, cfg *nomadlike.Config) {
		cfg.Gossip.EncryptKey = gossipKey(t)
	})[0]
	logger, logs := nomadtest.CaptureLogger(t, "intruder")
	cfg := nomadtest.ClusterServerConfig(t, "intruder", 1)
	cfg.Logger = logger
	cfg.Gossip.EncryptKey = gossipKey(t)
	cfg.Gossip.RetryJoin = []string{first.GossipAddr()}
	cfg.Gossip.RetryMax = 2
	intruder := nomadtest.StartServer(t, cfg)

	nomadtest.WaitFor(t, gossipWait, func() error {
		if logs.Find("giving up joining") == "" {
			return fmt.Errorf("join attempts not over yet")
		}
		return nil
	})
	if logs.Find("failed to join: check the encrypt key") == "" {
		t.Errorf("the failed join does not point at the encrypt key")
	}
	if got := memberStatus(first, intruder.LocalMemberName()); got != "" {
		t.Errorf("the first server knows the intruder as %s", got)
	}
	if got := memberStatus(intruder, first.LocalMemberName()); got != "" {
		t.Errorf("the intruder knows the first server as %s", got)
	}
}

func TestBootstrap_MismatchedExpectDoesNotBootstrap(t *testing.T) {
	t.Parallel()
	logger, logs := nomadtest.CaptureLogger(t, "a")
	cfgA := nomadtest.ClusterServerConfig(t, "a", 2)
	cfgA.Logger = logger
	a := nomadtest.StartServer(t, cfgA)
	cfgB := nomadtest.ClusterServerConfig(t, "b", 3)
	cfgB.Gossip.RetryJoin = []string{a.GossipAddr()}
	b := nomadtest.StartServer(t, cfgB)

	nomadtest.WaitFor(t, gossipWait, func() error {
		if logs.Find("bootstrap_expect disagrees", "bootstrap_expect = 2", "server b.global has bootstrap_expect = 3") == "" {
			return fmt.Errorf("no bootstrap_expect error logged yet")
		}
		return nil
	})
	for _, s := range []*nomadlike.Server{a, b} {
		servers, err := s.RaftServers()
		if err != nil {
			t.Fatal(err)
		}
		if len(servers) != 0 {
			t.Errorf("%s bootstrapped despite the disagreement: %v", s.LocalMemberName(), servers)
		}
	}
}
