package client

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// serverConnIdle is how long an unused connection to a server stays open.
const serverConnIdle = 2 * time.Minute

// Servers is the client's structs.RPCer for remote servers. It talks to
// one server at a time, so each server holds one connection per client,
// and moves to the next when that one cannot be reached or has no leader.
// The list starts shuffled, so a fleet configured with the same servers
// spreads over them, and follows the servers' own view of the cluster:
// every heartbeat answer names the current servers (SetServers).
//
// A call is tried on further servers only when it could not be sent at all
// (the dial failed): a call that was sent may have been applied, so it
// fails and the caller, which retries with backoff, decides.
type Servers struct {
	logger hclog.Logger
	pool   *pool.ConnPool

	mu sync.Mutex
	// list is the servers in the order to try them; list[0] is current.
	list []string
	// unreachable is set while every server failed the last pass, so the
	// outage is logged once rather than on every retry.
	unreachable bool
}

var _ structs.RPCer = (*Servers)(nil)

// NewServers returns an RPCer over addrs (host:port, or host with
// defaultPort). It does not dial: a client with no reachable server keeps
// running and its calls fail until one answers.
func NewServers(addrs []string, defaultPort int, logger hclog.Logger) (*Servers, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	list, err := normalizeServers(addrs, defaultPort)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errors.New("servers: no server addresses given: pass at least one host:port")
	}
	rand.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	logger = logger.Named("servers")
	return &Servers{logger: logger, pool: pool.NewPool(logger, serverConnIdle), list: list}, nil
}

// normalizeServers checks each address, gives a bare host defaultPort
// and drops duplicates, keeping the order.
func normalizeServers(addrs []string, defaultPort int) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			host, port = a, strconv.Itoa(defaultPort)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 || host == "" {
			return nil, fmt.Errorf("servers: address %q: want host:port with a port in 1-65535", a)
		}
		norm := net.JoinHostPort(host, port)
		if !seen[norm] {
			seen[norm] = true
			out = append(out, norm)
		}
	}
	return out, nil
}

// List returns the servers in the order they will be tried.
func (s *Servers) List() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// SetServers replaces the list with the servers a server reported. The
// current server stays first when it is still listed, so a refresh does
// not move the client; the others are shuffled. An empty list is ignored:
// an answer without servers says nothing about them.
func (s *Servers) SetServers(addrs []string) {
	list, err := normalizeServers(addrs, 0)
	if err != nil || len(list) == 0 {
		if err != nil {
			s.logger.Warn("ignoring server list from server", "error", err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sameSet(list, s.list) {
		return
	}
	rand.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	if i := slices.Index(list, s.list[0]); i > 0 {
		list[0], list[i] = list[i], list[0]
	}
	s.logger.Info("server list updated", "servers", strings.Join(list, ","))
	s.list = list
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// RPC implements structs.RPCer: it calls the current server, and on a
// dial failure the next ones in turn. A server that cannot be reached, or
// that answers ErrNoLeader (it may be cut off from the others), is moved
// to the back, so the next call goes elsewhere.
func (s *Servers) RPC(method string, args, reply interface{}) error {
	list := s.List()
	var lastErr error
	for i, addr := range list {
		err := s.pool.RPC(serverAddr(addr), method, args, reply)
		switch {
		case err == nil:
			s.reachable(addr, i > 0)
			return nil
		case pool.IsRemote(err) && !pool.IsErrNoLeader(err):
			return err
		case isDialError(err):
			s.demote(addr, err)
			lastErr = err
			continue
		default:
			s.demote(addr, err)
			return err
		}
	}
	s.allUnreachable(list, lastErr)
	return fmt.Errorf("no server reachable (tried %s): %w", strings.Join(list, ", "), lastErr)
}

// reachable notes that addr answered; moved says the client moved to it
// from a server that failed.
func (s *Servers) reachable(addr string, moved bool) {
	s.mu.Lock()
	was := s.unreachable
	s.unreachable = false
	s.mu.Unlock()
	if was || moved {
		s.logger.Info("connected to server", "server", addr)
	}
}

// demote moves addr to the back of the list, if it is still current.
func (s *Servers) demote(addr string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.list) < 2 || s.list[0] != addr {
		return
	}
	s.list = append(slices.Clone(s.list[1:]), addr)
	s.logger.Warn("server failed, switching to the next", "server", addr, "next", s.list[0], "error", err)
}

// allUnreachable logs, once per outage, that no server answered.
func (s *Servers) allUnreachable(list []string, err error) {
	s.mu.Lock()
	first := !s.unreachable
	s.unreachable = true
	s.mu.Unlock()
	if first {
		s.logger.Error("no server reachable, retrying with backoff", "servers", strings.Join(list, ","), "error", err)
	}
}

// Close drops the connections; calls in flight fail.
func (s *Servers) Close() {
	s.pool.Shutdown()
}

// isDialError reports whether err is a failure to connect, after which
// nothing of the call was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// serverAddr is a server address as the pool wants it; dialing resolves
// the name each time, so a server that moved is found again.
type serverAddr string

func (a serverAddr) Network() string { return "tcp" }
func (a serverAddr) String() string  { return string(a) }

// serverListUpdater is an RPCer that keeps a server list the servers'
// answers refresh (Servers).
type serverListUpdater interface {
	SetServers(addrs []string)
}

// updateServers hands the servers a register or heartbeat answer named to
// the RPCer, when it keeps a list.
func (c *Client) updateServers(addrs []string) {
	if u, ok := c.rpc.(serverListUpdater); ok {
		u.SetServers(addrs)
	}
}
