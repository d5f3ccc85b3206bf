package nomadlike

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

const (
	// leaveRaftWait bounds how long a leaving follower waits for the
	// leader to take it out of the Raft configuration.
	leaveRaftWait = 10 * time.Second
	leavePoll     = 100 * time.Millisecond
)

// setupGossip joins this server to its region's gossip pool and starts
// what depends on it: the Raft bootstrap when the cluster is new, and the
// background retry_join.
func (s *Server) setupGossip() error {
	if s.config.Gossip.BindAddr == nil {
		return nil
	}
	g, err := newGossip(s.config, string(s.raftID), s.rpcAdvertise, s.config.Logger.Named("server"))
	if err != nil {
		return err
	}
	s.gossip = g
	s.logger.Info("gossip started", "serf_addr", g.Addr(), "encrypted", len(s.config.Gossip.key) > 0)
	if s.bootstrapPending {
		s.loops.Add(1)
		go func() {
			defer s.loops.Done()
			s.bootstrapLoop()
		}()
	}
	if len(s.config.Gossip.RetryJoin) > 0 {
		s.loops.Add(1)
		go func() {
			defer s.loops.Done()
			s.retryJoin()
		}()
	}
	return nil
}

// retryJoin tries the configured addresses with growing pauses until one
// answers, RetryMax attempts have failed, or the server shuts down.
func (s *Server) retryJoin() {
	cfg := s.config.Gossip
	addrs := joinAddrs(cfg.RetryJoin, cfg.DefaultPort)
	logger := s.gossip.logger.With("addrs", addrs)
	delay := min(firstRetryDelay, cfg.RetryInterval)
	for attempt := 1; ; attempt++ {
		n, err := s.gossip.join(addrs)
		if n > 0 {
			logger.Info("joined the gossip pool", "contacted", n, "attempt", attempt)
			return
		}
		logger.Warn("failed to join: "+joinHint(err), "attempt", attempt, "error", err)
		if cfg.RetryMax > 0 && attempt >= cfg.RetryMax {
			logger.Error("giving up joining: retry_max reached", "attempts", attempt)
			return
		}
		select {
		case <-s.shutdownCh:
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, cfg.RetryInterval)
	}
}

// ErrNoGossip is returned by the membership methods of a server that runs
// without gossip (a lone server with no Gossip.BindAddr).
var ErrNoGossip = errors.New("this server runs no gossip")

// Join contacts the gossip pool at addrs (host or host:port) once and
// reports how many answered; for `orch server join`.
func (s *Server) Join(addrs []string) (int, error) {
	if s.gossip == nil {
		return 0, ErrNoGossip
	}
	addrs = joinAddrs(addrs, s.config.Gossip.DefaultPort)
	n, err := s.gossip.join(addrs)
	if err != nil {
		s.gossip.logger.Warn("failed to join: "+joinHint(err), "addrs", addrs, "contacted", n, "error", err)
		if n == 0 {
			return 0, fmt.Errorf("join %v: %s: %w", addrs, joinHint(err), err)
		}
	}
	return n, nil
}

// Members lists every server gossip has seen, sorted by name, with how it
// last saw it. A server without gossip lists nothing.
func (s *Server) Members() []Member {
	if s.gossip == nil {
		return nil
	}
	return s.gossip.Members()
}

// LocalMemberName is this server's name in the gossip pool
// (node name.region).
func (s *Server) LocalMemberName() string {
	return s.config.NodeName + "." + s.config.Region
}

// GossipAddr is the address other servers join this one at, "" without
// gossip.
func (s *Server) GossipAddr() string {
	if s.gossip == nil {
		return ""
	}
	return s.gossip.Addr()
}

// Leave takes this server out of the cluster for good before a shutdown:
// a leader first removes itself from Raft (the others then elect a new
// leader among themselves); then the server tells the gossip pool it
// left, and a follower waits, for a bounded time, until the leader has
// reacted to that by removing it from Raft. Shutdown alone does not
// leave: the others then see the server failed, and keep it in Raft until
// the dead-server clean-up.
func (s *Server) Leave() error {
	if s.gossip == nil {
		return nil
	}
	logger := s.logger.With("server_id", s.raftID)
	wasLeader := s.raft.State() == raft.Leader
	if wasLeader && s.otherVoters() > 0 {
		logger.Info("leaving: removing this leader from raft")
		if err := s.raft.RemoveServer(s.raftID, 0, raftMembershipTimeout).Error(); err != nil {
			logger.Error("failed to remove this leader from raft", "error", err)
		}
	}
	if err := s.gossip.leave(); err != nil {
		return err
	}
	if wasLeader {
		return nil
	}
	deadline := time.Now().Add(leaveRaftWait)
	for time.Now().Before(deadline) {
		if !s.inRaftConfiguration() {
			logger.Info("left: the leader removed this server from raft")
			return nil
		}
		select {
		case <-s.shutdownCh:
			return nil
		case <-time.After(leavePoll):
		}
	}
	logger.Warn("left gossip, but the leader has not removed this server from raft yet", "waited", leaveRaftWait)
	return nil
}

// otherVoters counts the voters in the Raft configuration besides this
// server.
func (s *Server) otherVoters() int {
	future := s.raft.GetConfiguration()
	if future.Error() != nil {
		return 0
	}
	n := 0
	for _, srv := range future.Configuration().Servers {
		if srv.ID != s.raftID && srv.Suffrage == raft.Voter {
			n++
		}
	}
	return n
}

func (s *Server) inRaftConfiguration() bool {
	future := s.raft.GetConfiguration()
	if future.Error() != nil {
		return true
	}
	for _, srv := range future.Configuration().Servers {
		if srv.ID == s.raftID {
			return true
		}
	}
	return false
}

// RaftServers is this server's own view of the Raft configuration, the
// latest entry it holds, committed or not.
func (s *Server) RaftServers() ([]raft.Server, error) {
	future := s.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return nil, fmt.Errorf("raft: read configuration: %w", err)
	}
	return future.Configuration().Servers, nil
}
