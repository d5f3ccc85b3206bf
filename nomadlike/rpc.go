package nomadlike

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/rpc"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
	metrics "github.com/hashicorp/go-metrics"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc/v2"
	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

const (
	// Blocking queries wait 5 minutes unless asked otherwise, and at most
	// 10; a random 1/16 is added so clients that asked together do not
	// come back together.
	defaultQueryTime = 5 * time.Minute
	maxQueryTime     = 10 * time.Minute
	queryJitterFrac  = 16

	// raftApplyTimeout bounds how long a write waits to be committed.
	raftApplyTimeout = 30 * time.Second

	// firstByteTimeout bounds how long a new connection may take to say
	// which protocol it speaks.
	firstByteTimeout = 10 * time.Second
)

// listen accepts connections on the RPC port and hands each to its
// protocol by its first byte, until the listener closes.
func (s *Server) listen() {
	defer close(s.listenDone)
	for {
		conn, err := s.rpcListener.Accept()
		if err != nil {
			select {
			case <-s.shutdownCh:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.logger.Error("rpc listener failed", "error", err)
			return
		}
		go s.handleConn(conn)
	}
}

func (s *Server) handleConn(conn net.Conn) {
	// Tracked from the start, so Shutdown also closes connections that
	// have not said which protocol they speak yet.
	s.trackConn(conn, true)
	buf := make([]byte, 1)
	_ = conn.SetReadDeadline(time.Now().Add(firstByteTimeout))
	if _, err := io.ReadFull(conn, buf); err != nil {
		if err != io.EOF {
			s.logger.Debug("failed to read protocol byte", "remote", conn.RemoteAddr(), "error", err)
		}
		s.trackConn(conn, false)
		conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	switch pool.RPCType(buf[0]) {
	case pool.RPCNomad:
		s.serveRPC(conn)
	case pool.RPCRaft:
		// Raft's transport owns the connection from here and closes it.
		s.trackConn(conn, false)
		metrics.IncrCounter([]string{"orch", "rpc", "raft_handoff"}, 1)
		s.raftLayer.handoff(conn)
	default:
		s.logger.Warn("unknown rpc protocol byte", "byte", buf[0], "remote", conn.RemoteAddr())
		s.trackConn(conn, false)
		conn.Close()
	}
}

// serveRPC serves net/rpc calls on conn until it closes. net/rpc runs each
// call in its own goroutine, so one connection carries concurrent calls.
func (s *Server) serveRPC(conn net.Conn) {
	defer s.trackConn(conn, false)
	codec := msgpackrpc.NewCodecFromHandle(true, true, conn, pool.MsgpackHandle)
	s.rpcServer.ServeCodec(codec)
}

// trackConn remembers open RPC connections so Shutdown can close them and
// blocked calls return.
func (s *Server) trackConn(conn net.Conn, open bool) {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	if open {
		s.conns[conn] = struct{}{}
	} else {
		delete(s.conns, conn)
	}
}

// inmemCodec is a net/rpc ServerCodec for one in-process call: it hands
// the caller's args to the endpoint and copies the endpoint's reply back,
// with no encoding, so in-process calls take the same path as network
// ones.
type inmemCodec struct {
	method string
	args   interface{}
	reply  interface{}
	err    error
}

func (c *inmemCodec) ReadRequestHeader(req *rpc.Request) error {
	req.ServiceMethod = c.method
	return nil
}

func (c *inmemCodec) ReadRequestBody(body interface{}) error {
	if body == nil {
		return nil
	}
	src := reflect.ValueOf(c.args)
	dst := reflect.ValueOf(body)
	if src.Kind() != reflect.Pointer || src.IsNil() || src.Type() != dst.Type() {
		return fmt.Errorf("rpc %s: args are %T, want %T", c.method, c.args, body)
	}
	dst.Elem().Set(src.Elem())
	return nil
}

func (c *inmemCodec) WriteResponse(resp *rpc.Response, body interface{}) error {
	if resp.Error != "" {
		c.err = pool.ErrorFromString(resp.Error)
		return nil
	}
	src := reflect.ValueOf(body)
	dst := reflect.ValueOf(c.reply)
	if dst.Kind() != reflect.Pointer || dst.IsNil() || src.Type() != dst.Type() {
		c.err = fmt.Errorf("rpc %s: reply is %T, want %T", c.method, c.reply, body)
		return nil
	}
	dst.Elem().Set(src.Elem())
	return nil
}

func (c *inmemCodec) Close() error { return nil }

// RPC calls an endpoint in process, through the same net/rpc server that
// serves the network. Errors match the structs sentinels with errors.Is.
// Nothing is encoded, so a reply may share objects with the state store:
// callers must treat what they get back as read-only (Copy to change it).
func (s *Server) RPC(method string, args, reply interface{}) error {
	codec := &inmemCodec{method: method, args: args, reply: reply}
	if err := s.rpcServer.ServeRequest(codec); err != nil {
		return fmt.Errorf("rpc %s: %w", method, err)
	}
	return codec.err
}

// raftApply commits a write through Raft and returns its index and the
// FSM's response. A response that is an error is returned as err.
func (s *Server) raftApply(t structs.MessageType, msg interface{}) (uint64, interface{}, error) {
	buf, err := encodeMsg(t, msg)
	if err != nil {
		return 0, nil, err
	}
	defer metrics.MeasureSince([]string{"orch", "raft", "apply"}, time.Now())
	future := s.raft.Apply(buf, raftApplyTimeout)
	if err := future.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return 0, nil, fmt.Errorf("raft apply: %w (%v)", structs.ErrNoLeader, err)
		}
		return 0, nil, fmt.Errorf("raft apply: %w", err)
	}
	resp := future.Response()
	if rerr, ok := resp.(error); ok {
		return future.Index(), nil, rerr
	}
	return future.Index(), resp, nil
}

// leaderWait bounds how long a request waits for a leader to be known
// before it fails with ErrNoLeader: long enough to ride out an election.
const leaderWait = 5 * time.Second

// leaderPoll is how often a request waiting for a leader looks again.
const leaderPoll = 20 * time.Millisecond

// forward runs a request on the leader when this server must not answer
// it: every write, and every read that does not allow a stale answer.
// handled is false when this server should serve the request itself (it
// leads, or the read may be stale); otherwise err is the leader's answer.
// A request is forwarded at most once: one that arrives forwarded at a
// server that no longer leads fails with ErrNoLeader, and the caller may
// retry.
func (s *Server) forward(method string, info structs.RPCInfo, args, reply interface{}) (handled bool, err error) {
	if info.IsRead() && info.AllowStaleRead() {
		return false, nil
	}
	leader, err := s.waitForLeader()
	if err != nil {
		return true, fmt.Errorf("%s: %w", method, err)
	}
	if leader == "" {
		return false, nil
	}
	if info.IsForwarded() {
		return true, fmt.Errorf("%s: forwarded to a server that is not the leader (leader is %s): %w",
			method, leader, structs.ErrNoLeader)
	}
	info.SetForwarded()
	defer metrics.MeasureSinceWithLabels([]string{"orch", "rpc", "forward"}, time.Now(),
		[]metrics.Label{{Name: "method", Value: method}})
	err = s.connPool.RPCTimeout(rpcAddr(leader), method, args, reply, forwardTimeout(method, info, args))
	if errors.Is(err, pool.ErrTimeout) {
		// The connection was reset, so nothing still queued will reach
		// the leader; but a request it already received may have been
		// applied. Callers retry on ErrNoLeader, which idempotent writes
		// such as registrations tolerate.
		return true, fmt.Errorf("forward to leader %s: %w: outcome unknown: %w", leader, structs.ErrNoLeader, err)
	}
	if err != nil && !pool.IsRemote(err) {
		// The leader is unreachable: most likely it died and an election
		// is under way. Callers retry on ErrNoLeader.
		return true, fmt.Errorf("forward to leader %s: %w: %w", leader, structs.ErrNoLeader, err)
	}
	return true, err
}

// forwardHold bounds the wait for the leader's answer to a forwarded call,
// beyond any wait the call asks for itself: a leader cut off by a
// partition must not hold the caller until TCP gives up. The caller then
// gets ErrNoLeader and retries, as it would during an election.
const forwardHold = 10 * time.Second

// forwardTimeout is how long a forwarded call may take: forwardHold, plus
// the longest a blocking query or a dequeue may wait by design, or a
// generous bound for snapshots, which move the whole state.
func forwardTimeout(method string, info structs.RPCInfo, args interface{}) time.Duration {
	switch method {
	case structs.OperatorSnapshotSaveRPC, structs.OperatorSnapshotRestoreRPC:
		return 10 * time.Minute
	}
	d := forwardHold
	if q, ok := info.(*structs.QueryOptions); ok && q.MinQueryIndex > 0 {
		wait := q.MaxQueryTime
		if wait <= 0 {
			wait = defaultQueryTime
		}
		wait = min(wait, maxQueryTime)
		d += wait + wait/queryJitterFrac
	}
	if dq, ok := args.(*structs.EvalDequeueRequest); ok {
		d += dq.Timeout
	}
	return d
}

// waitForLeader returns "" when this server leads and has taken up the
// leader's duties, or the leader's RPC address, waiting up to leaderWait
// for either. While this server has won an election but is still
// restoring the leader's state it waits too: forwarding to itself would
// loop.
func (s *Server) waitForLeader() (string, error) {
	var deadline <-chan time.Time
	for {
		if s.IsLeader() {
			return "", nil
		}
		addr, id := s.raft.LeaderWithID()
		if addr != "" && id != s.raftID {
			return string(addr), nil
		}
		if deadline == nil {
			t := time.NewTimer(leaderWait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-deadline:
			return "", fmt.Errorf("no leader known after %s: %w", leaderWait, structs.ErrNoLeader)
		case <-s.shutdownCh:
			return "", fmt.Errorf("server shutting down: %w", structs.ErrNoLeader)
		case <-time.After(leaderPoll):
		}
	}
}

// serverRPCAddrs lists the RPC addresses of the servers in the Raft
// configuration, falling back to this server's own when the configuration
// cannot be read.
func (s *Server) serverRPCAddrs() []string {
	future := s.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		s.logger.Warn("failed to read raft configuration for the server list", "error", err)
		return []string{s.rpcAdvertise.String()}
	}
	var addrs []string
	for _, srv := range future.Configuration().Servers {
		addrs = append(addrs, string(srv.Address))
	}
	if len(addrs) == 0 {
		addrs = []string{s.rpcAdvertise.String()}
	}
	return addrs
}

// rpcAddr is a server's RPC address as Raft reports it; the pool needs
// only its text, and dialing resolves it.
type rpcAddr string

func (a rpcAddr) Network() string { return "tcp" }
func (a rpcAddr) String() string  { return string(a) }

// blockingQuery runs a read endpoint's query under the request's blocking
// options and fills the reply's QueryMeta.
func (s *Server) blockingQuery(opts *structs.QueryOptions, meta *structs.QueryMeta, run state.QueryFn) error {
	wait := opts.MaxQueryTime
	if opts.MinQueryIndex > 0 {
		if wait <= 0 {
			wait = defaultQueryTime
		}
		wait = min(wait, maxQueryTime)
		wait += rand.N(wait/queryJitterFrac + 1)
	}
	index, err := s.fsm.State().BlockingQuery(s.shutdownCtx, opts.MinQueryIndex, wait,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			idx, err := run(ws, st)
			// A zero index would make the caller's next blocking query
			// return at once; 1 is before any write.
			return max(idx, 1), err
		})
	if err != nil {
		return err
	}
	meta.Index = index
	s.setQueryMeta(meta)
	return nil
}

// setQueryMeta reports what the server knows of the leader.
func (s *Server) setQueryMeta(meta *structs.QueryMeta) {
	if s.raft.State() == raft.Leader {
		meta.KnownLeader = true
		meta.LastContact = 0
		return
	}
	addr, _ := s.raft.LeaderWithID()
	meta.KnownLeader = addr != ""
	meta.LastContact = time.Since(s.raft.LastContact())
}

// tableIndex returns the highest write index among tables, as the index a
// read is current as of.
func tableIndex(st *state.StateStore, tables ...string) (uint64, error) {
	var max uint64
	for _, t := range tables {
		idx, err := st.Index(t)
		if err != nil {
			return 0, err
		}
		if idx > max {
			max = idx
		}
	}
	return max, nil
}

// queryNamespace is the namespace a read is for: the default when the
// caller left it empty, AllNamespaces for "*".
func queryNamespace(ns string) string {
	if ns == "" {
		return structs.DefaultNamespace
	}
	return ns
}

// countRPC records one request to an endpoint.
func countRPC(method string) {
	metrics.IncrCounterWithLabels([]string{"orch", "rpc", "request"}, 1,
		[]metrics.Label{{Name: "method", Value: method}})
}

// shutdownContext returns a context cancelled when ch closes.
func shutdownContext(ch <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// requireString returns a bad-request error naming field when v is empty.
func requireString(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%w: missing %s", structs.ErrBadRequest, field)
	}
	return nil
}
