package nomadlike

import (
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

const (
	// DefaultDeadServerThreshold is how long a server must have been
	// failed before the leader removes it from Raft.
	DefaultDeadServerThreshold = 30 * time.Second
	// raftMembershipTimeout bounds how long a configuration change may
	// wait to be enqueued.
	raftMembershipTimeout = 10 * time.Second
	// reconcileMaxInterval is the longest the leader goes without
	// comparing gossip and Raft, so a failed server's grace period is
	// noticed even when gossip is quiet.
	reconcileMaxInterval = 5 * time.Second
	reconcileMinInterval = 50 * time.Millisecond
)

// AutopilotConfig configures how the leader keeps the Raft configuration
// in step with the servers gossip sees.
type AutopilotConfig struct {
	// DisableDeadServerCleanup keeps failed servers in the Raft
	// configuration until an operator removes them (Nomad's
	// cleanup_dead_servers = false).
	DisableDeadServerCleanup bool
	// DeadServerThreshold is how long a server must have been failed
	// before it is removed (default DefaultDeadServerThreshold).
	DeadServerThreshold time.Duration
}

func (a *AutopilotConfig) withDefaults() {
	if a.DeadServerThreshold <= 0 {
		a.DeadServerThreshold = DefaultDeadServerThreshold
	}
}

// membershipChange is one change to the Raft configuration.
type membershipChange struct {
	remove bool
	id     raft.ServerID
	addr   raft.ServerAddress
	name   string
	reason string
}

// planMembership compares the Raft configuration with the servers gossip
// knows and says what the leader should change: alive servers missing
// from Raft (or at a new address) become voters, servers that left are
// removed, and servers failed for longer than the threshold are removed
// as long as the voters left still make a quorum of the larger of the
// configured cluster size and the current one. held lists failed servers
// kept for that reason. The leader itself is never touched here.
func planMembership(self raft.ServerID, conf raft.Configuration, servers []serverInfo,
	ap AutopilotConfig, expect int, now time.Time) (changes []membershipChange, held []string) {
	inConf := make(map[raft.ServerID]raft.Server, len(conf.Servers))
	voters := 0
	for _, srv := range conf.Servers {
		inConf[srv.ID] = srv
		if srv.Suffrage == raft.Voter {
			voters++
		}
	}
	var failed []serverInfo
	for _, s := range servers {
		id := raft.ServerID(s.ID)
		if id == self {
			continue
		}
		cur, known := inConf[id]
		switch s.Status {
		case MemberAlive:
			addr := raft.ServerAddress(s.RPCAddr)
			switch {
			case !known:
				changes = append(changes, membershipChange{id: id, addr: addr, name: s.Name, reason: "server joined"})
			case cur.Address != addr:
				changes = append(changes, membershipChange{id: id, addr: addr, name: s.Name, reason: "server address changed"})
			}
		case MemberLeft:
			if known {
				changes = append(changes, membershipChange{remove: true, id: id, name: s.Name, reason: "server left"})
				if cur.Suffrage == raft.Voter {
					voters--
				}
			}
		case MemberFailed:
			if known && !ap.DisableDeadServerCleanup && now.Sub(s.Since) >= ap.DeadServerThreshold {
				failed = append(failed, s)
			}
		}
	}
	quorum := max(expect, voters)/2 + 1
	sort.Slice(failed, func(i, j int) bool {
		if !failed[i].Since.Equal(failed[j].Since) {
			return failed[i].Since.Before(failed[j].Since)
		}
		return failed[i].ID < failed[j].ID
	})
	for _, s := range failed {
		id := raft.ServerID(s.ID)
		isVoter := inConf[id].Suffrage == raft.Voter
		if isVoter && voters-1 < quorum {
			held = append(held, s.Name)
			continue
		}
		if isVoter {
			voters--
		}
		changes = append(changes, membershipChange{remove: true, id: id, name: s.Name,
			reason: fmt.Sprintf("server failed %s ago", now.Sub(s.Since).Round(time.Millisecond))})
	}
	return changes, held
}

// reconcileMembers keeps the Raft configuration in step with gossip while
// this server leads: at once, on every membership change, and
// periodically so failed servers are removed when their grace ends.
func (s *Server) reconcileMembers(stopCh chan struct{}) {
	logger := s.logger.Named("autopilot")
	interval := min(max(s.config.Autopilot.DeadServerThreshold/4, reconcileMinInterval), reconcileMaxInterval)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	heldBefore := map[string]bool{}
	for {
		changed := s.gossip.changedCh()
		heldBefore = s.reconcileOnce(logger, heldBefore)
		select {
		case <-stopCh:
			return
		case <-changed:
		case <-ticker.C:
		}
	}
}

// reconcileOnce applies one round of planMembership. It returns the
// servers held back, so each is warned about once rather than each round.
func (s *Server) reconcileOnce(logger hclog.Logger, heldBefore map[string]bool) map[string]bool {
	future := s.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		logger.Error("failed to read raft configuration", "error", err)
		return heldBefore
	}
	changes, held := planMembership(s.raftID, future.Configuration(), s.gossip.servers(),
		s.config.Autopilot, s.config.BootstrapExpect, time.Now())
	heldNow := make(map[string]bool, len(held))
	for _, name := range held {
		heldNow[name] = true
		if !heldBefore[name] {
			logger.Warn("not removing failed server: the servers left would be fewer than a quorum", "member", name)
		}
	}
	for _, c := range changes {
		var err error
		if c.remove {
			err = s.raft.RemoveServer(c.id, 0, raftMembershipTimeout).Error()
		} else {
			err = s.raft.AddVoter(c.id, c.addr, 0, raftMembershipTimeout).Error()
		}
		if err != nil {
			logger.Error("failed to change raft configuration", "member", c.name, "server_id", c.id,
				"remove", c.remove, "reason", c.reason, "error", err)
			continue
		}
		if c.remove {
			logger.Info("removed server from raft", "member", c.name, "server_id", c.id, "reason", c.reason)
		} else {
			logger.Info("added server to raft as a voter", "member", c.name, "server_id", c.id, "addr", c.addr, "reason", c.reason)
		}
	}
	return heldNow
}
