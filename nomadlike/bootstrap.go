package nomadlike

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// bootstrapRecheck is how often a server waiting to bootstrap looks again
// without a membership change: an unreachable peer may have come up, or
// the leader of an existing cluster may have added this server.
const bootstrapRecheck = 500 * time.Millisecond

// bootstrapDecision is what the gossip view says about bootstrapping Raft.
type bootstrapDecision struct {
	// servers is the configuration to bootstrap with; nil until ready.
	servers []raft.Server
	// conflict reports servers whose bootstrap_expect differs from ours;
	// nobody bootstraps until that is fixed.
	conflict error
	// waiting says why it is not time yet.
	waiting string
}

// decideBootstrap decides from the alive servers of this region whether
// to bootstrap: once at least expect of them agree on expect, the answer
// is all of them as voters, sorted by ID, so that every server that
// decides at the same time bootstraps the same configuration.
func decideBootstrap(expect int, servers []serverInfo) bootstrapDecision {
	var alive []serverInfo
	var conflicts []string
	for _, s := range servers {
		// A server with bootstrap_expect 0 only ever joins an existing
		// cluster: it neither counts towards a bootstrap nor disagrees.
		if s.Status != MemberAlive || s.Expect == 0 {
			continue
		}
		alive = append(alive, s)
		if s.Expect != expect {
			conflicts = append(conflicts, fmt.Sprintf("server %s has bootstrap_expect = %d", s.Name, s.Expect))
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return bootstrapDecision{conflict: fmt.Errorf("bootstrap_expect disagrees: this server has bootstrap_expect = %d, %s: give every server the same value",
			expect, strings.Join(conflicts, ", "))}
	}
	if len(alive) < expect {
		return bootstrapDecision{waiting: fmt.Sprintf("%d of %d expected servers seen", len(alive), expect)}
	}
	sort.Slice(alive, func(i, j int) bool { return alive[i].ID < alive[j].ID })
	out := make([]raft.Server, len(alive))
	for i, s := range alive {
		out[i] = raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(s.ID), Address: raft.ServerAddress(s.RPCAddr)}
	}
	return bootstrapDecision{servers: out}
}

// bootstrapLoop waits until gossip shows the expected servers, then
// bootstraps Raft with them. It ends once Raft has a configuration, from
// this bootstrap, another's leader, or an existing cluster, or at
// shutdown.
func (s *Server) bootstrapLoop() {
	logger := s.logger.Named("bootstrap")
	conns := pool.NewPool(logger, time.Minute)
	defer conns.Shutdown()
	var lastReport string
	report := func(msg string, log func(string, ...interface{}), args ...interface{}) {
		if msg != lastReport {
			lastReport = msg
			log(msg, args...)
		}
	}
	for {
		changed := s.gossip.changedCh()
		if s.hasRaftConfiguration() {
			logger.Debug("raft has a configuration, bootstrap not needed")
			return
		}
		d := decideBootstrap(s.config.BootstrapExpect, s.gossip.servers())
		switch {
		case d.conflict != nil:
			report(d.conflict.Error(), logger.Error)
		case d.servers == nil:
			report("waiting for servers to bootstrap", logger.Info, "progress", d.waiting)
		default:
			done, err := s.tryBootstrap(logger, conns, d.servers)
			if done {
				return
			}
			report("bootstrap not possible yet", logger.Warn, "error", err)
		}
		select {
		case <-s.shutdownCh:
			return
		case <-changed:
		case <-time.After(bootstrapRecheck):
		}
	}
}

// tryBootstrap bootstraps Raft with servers unless one of them already
// belongs to a cluster, in which case that cluster's leader adds this
// server. done is false when it should be tried again.
func (s *Server) tryBootstrap(logger hclog.Logger, conns *pool.ConnPool, servers []raft.Server) (done bool, err error) {
	for _, srv := range servers {
		if srv.ID == s.raftID {
			continue
		}
		peers, err := remotePeers(conns, string(srv.Address))
		if err != nil {
			return false, fmt.Errorf("ask server %s for its raft peers: %w", srv.Address, err)
		}
		if len(peers) > 0 {
			logger.Info("found an existing cluster, not bootstrapping: its leader will add this server",
				"server", srv.Address, "peers", strings.Join(peers, ","))
			return true, nil
		}
	}
	if err := s.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
		if errors.Is(err, raft.ErrCantBootstrap) {
			return true, nil
		}
		return false, fmt.Errorf("raft bootstrap: %w", err)
	}
	addrs := make([]string, len(servers))
	for i, srv := range servers {
		addrs[i] = string(srv.Address)
	}
	logger.Info("bootstrapped raft", "servers", strings.Join(addrs, ","))
	return true, nil
}

// remotePeers asks a server for its Raft configuration. Stale is allowed
// so a server that has no leader answers from its own view.
func remotePeers(conns *pool.ConnPool, addr string) ([]string, error) {
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	var resp structs.StatusPeersResponse
	req := &structs.GenericRequest{QueryOptions: structs.QueryOptions{AllowStale: true}}
	if err := conns.RPC(tcp, structs.StatusPeersRPC, req, &resp); err != nil {
		return nil, err
	}
	return resp.Peers, nil
}

// hasRaftConfiguration reports whether Raft knows any server, which it
// does once bootstrapped or once a leader has replicated to it.
func (s *Server) hasRaftConfiguration() bool {
	future := s.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return false
	}
	return len(future.Configuration().Servers) > 0
}
