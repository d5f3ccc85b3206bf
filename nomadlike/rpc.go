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

// checkLeader refuses writes on a server that is not the leader. Requests
// are not forwarded yet: there is only ever one server.
func (s *Server) checkLeader() error {
	if s.raft.State() != raft.Leader {
		return fmt.Errorf("this server is not the leader: %w", structs.ErrNoLeader)
	}
	return nil
}

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
