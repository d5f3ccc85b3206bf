package pool

import (
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc/v2"
)

// dialTimeout bounds how long a call waits to connect to a server.
const dialTimeout = 10 * time.Second

// conn is a pooled connection to one server.
type conn struct {
	addr   string
	nc     net.Conn
	client *rpc.Client

	// inflight and lastUsed are guarded by the pool's lock.
	inflight int
	lastUsed time.Time
}

// ConnPool makes RPCs to servers over msgpack net/rpc, keeping one
// multiplexed connection per server address. It is safe for concurrent use.
type ConnPool struct {
	logger  hclog.Logger
	maxIdle time.Duration

	mu       sync.Mutex
	conns    map[string]*conn
	dialing  map[string]chan struct{}
	shutdown bool
	stopCh   chan struct{}
	reapDone chan struct{}
}

// NewPool returns a pool that closes connections idle for longer than
// maxIdle (0 keeps them until Shutdown).
func NewPool(logger hclog.Logger, maxIdle time.Duration) *ConnPool {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	p := &ConnPool{
		logger:   logger.Named("rpc_pool"),
		maxIdle:  maxIdle,
		conns:    make(map[string]*conn),
		dialing:  make(map[string]chan struct{}),
		stopCh:   make(chan struct{}),
		reapDone: make(chan struct{}),
	}
	go p.reap()
	return p
}

// RPC calls method on the server at addr. Errors the endpoint returned
// match the structs sentinels with errors.Is; a broken connection is
// dropped so the next call dials afresh. The call is not retried: the
// server may have applied it.
func (p *ConnPool) RPC(addr net.Addr, method string, args, reply interface{}) error {
	return p.RPCTimeout(addr, method, args, reply, 0)
}

// ErrTimeout is returned by RPCTimeout when no answer came in time. The
// call's outcome is unknown: the far side may still apply it.
var ErrTimeout = errors.New("no answer in time")

// RPCTimeout is RPC with a bound on the wait for the answer (none when
// timeout <= 0). A call that times out drops its connection: on a TCP
// connection to a host cut off by a partition, every later call would hang
// as well until the kernel gives up, which takes many minutes.
func (p *ConnPool) RPCTimeout(addr net.Addr, method string, args, reply interface{}, timeout time.Duration) error {
	c, err := p.acquire(addr.String())
	if err != nil {
		return fmt.Errorf("rpc %s to %s: %w", method, addr, err)
	}
	if timeout <= 0 {
		err = c.client.Call(method, args, reply)
	} else {
		call := c.client.Go(method, args, reply, make(chan *rpc.Call, 1))
		timer := time.NewTimer(timeout)
		select {
		case <-call.Done:
			err = call.Error
		case <-timer.C:
			err = fmt.Errorf("after %s: %w", timeout, ErrTimeout)
			c.abort()
		}
		timer.Stop()
	}
	p.release(c, err)
	if err == nil {
		return nil
	}
	var remote rpc.ServerError
	if errors.As(err, &remote) {
		return ErrorFromString(string(remote))
	}
	return fmt.Errorf("rpc %s to %s: %w", method, addr, err)
}

// acquire returns the connection to addr, dialing it if there is none. Only
// one goroutine dials a given address at a time; the others wait for it.
func (p *ConnPool) acquire(addr string) (*conn, error) {
	for {
		p.mu.Lock()
		if p.shutdown {
			p.mu.Unlock()
			return nil, errors.New("connection pool is shut down")
		}
		if c, ok := p.conns[addr]; ok {
			c.inflight++
			p.mu.Unlock()
			return c, nil
		}
		if wait, ok := p.dialing[addr]; ok {
			p.mu.Unlock()
			<-wait
			continue
		}
		done := make(chan struct{})
		p.dialing[addr] = done
		p.mu.Unlock()

		c, err := dial(addr)

		p.mu.Lock()
		delete(p.dialing, addr)
		close(done)
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		if p.shutdown {
			p.mu.Unlock()
			c.close()
			return nil, errors.New("connection pool is shut down")
		}
		c.inflight = 1
		p.conns[addr] = c
		p.mu.Unlock()
		p.logger.Debug("connected", "server", addr)
		return c, nil
	}
}

func dial(addr string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if tcp, ok := nc.(*net.TCPConn); ok {
		_ = tcp.SetKeepAlive(true)
		_ = tcp.SetNoDelay(true)
	}
	if _, err := nc.Write([]byte{byte(RPCNomad)}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("select rpc protocol: %w", err)
	}
	codec := msgpackrpc.NewCodecFromHandle(true, true, nc, MsgpackHandle)
	return &conn{addr: addr, nc: nc, client: rpc.NewClientWithCodec(codec), lastUsed: time.Now()}, nil
}

// close ends the connection by closing the socket: the client's reader then
// fails every pending call and stops. Closing through rpc.Client would race
// the msgpack codec's unsynchronised closed flag with that reader.
func (c *conn) close() {
	_ = c.nc.Close()
}

// abort resets the connection, discarding what the kernel has not yet
// sent: a plain close would keep retransmitting it, so a request that timed
// out behind a partition could still be delivered, and applied, once the
// network heals, after its caller was told it failed.
func (c *conn) abort() {
	if tcp, ok := c.nc.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	c.close()
}

// release returns c after a call; a call that failed for want of a working
// connection (as opposed to an error from the endpoint) drops it.
func (p *ConnPool) release(c *conn, callErr error) {
	var remote rpc.ServerError
	broken := callErr != nil && !errors.As(callErr, &remote)
	p.mu.Lock()
	c.inflight--
	c.lastUsed = time.Now()
	if broken && p.conns[c.addr] == c {
		delete(p.conns, c.addr)
	}
	// The last call to leave a dropped connection closes it.
	closeNow := p.conns[c.addr] != c && c.inflight == 0
	p.mu.Unlock()
	if broken {
		p.logger.Debug("dropping broken connection", "server", c.addr, "error", callErr)
	}
	if closeNow {
		c.close()
	}
}

// reap closes connections idle for longer than maxIdle.
func (p *ConnPool) reap() {
	defer close(p.reapDone)
	if p.maxIdle <= 0 {
		<-p.stopCh
		return
	}
	tick := time.NewTicker(p.maxIdle / 2)
	defer tick.Stop()
	for {
		select {
		case <-p.stopCh:
			return
		case now := <-tick.C:
			var idle []*conn
			p.mu.Lock()
			for addr, c := range p.conns {
				if c.inflight == 0 && now.Sub(c.lastUsed) > p.maxIdle {
					delete(p.conns, addr)
					idle = append(idle, c)
				}
			}
			p.mu.Unlock()
			for _, c := range idle {
				c.close()
			}
		}
	}
}

// Shutdown closes every connection; calls in flight fail.
func (p *ConnPool) Shutdown() {
	p.mu.Lock()
	if p.shutdown {
		p.mu.Unlock()
		return
	}
	p.shutdown = true
	conns := p.conns
	p.conns = make(map[string]*conn)
	p.mu.Unlock()
	close(p.stopCh)
	<-p.reapDone
	for _, c := range conns {
		c.close()
	}
}
