package pool

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc/v2"

	"github.com/orch-dev/orch/nomadlike/structs"
)

type EchoArgs struct{ Msg string }
type EchoReply struct{ Msg string }

// Echo is the test service: Echo answers, Missing fails as an endpoint
// would.
type Echo struct{}

func (Echo) Echo(args *EchoArgs, reply *EchoReply) error {
	reply.Msg = args.Msg
	return nil
}

// Hang never answers while its release channel is open, as a leader cut
// off by a partition would not.
func (Echo) Hang(args *EchoArgs, reply *EchoReply) error {
	<-hangRelease
	return nil
}

var hangRelease = make(chan struct{})

func (Echo) Missing(args *EchoArgs, reply *EchoReply) error {
	return fmt.Errorf("job %q: %w", args.Msg, structs.ErrNotFound)
}

// testServer serves Echo on the RPC port protocol and counts accepted
// connections; kill closes every server-side connection.
type testServer struct {
	ln      net.Listener
	accepts atomic.Int32
	mu      sync.Mutex
	conns   []net.Conn
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer()
	if err := srv.Register(Echo{}); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{ln: ln}
	t.Cleanup(func() { ln.Close(); ts.kill() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ts.accepts.Add(1)
			ts.mu.Lock()
			ts.conns = append(ts.conns, c)
			ts.mu.Unlock()
			go func() {
				b := make([]byte, 1)
				if _, err := io.ReadFull(c, b); err != nil || RPCType(b[0]) != RPCNomad {
					c.Close()
					return
				}
				srv.ServeCodec(msgpackrpc.NewCodecFromHandle(true, true, c, MsgpackHandle))
			}()
		}
	}()
	return ts
}

func (ts *testServer) kill() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, c := range ts.conns {
		c.Close()
	}
	ts.conns = nil
}

func TestConnPool_RPC(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	p := NewPool(hclog.NewNullLogger(), time.Minute)
	defer p.Shutdown()

	t.Run("concurrent calls share one connection", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var reply EchoReply
				msg := fmt.Sprint("hello ", i)
				if err := p.RPC(ts.ln.Addr(), "Echo.Echo", &EchoArgs{Msg: msg}, &reply); err != nil {
					errs <- err
				} else if reply.Msg != msg {
					errs <- fmt.Errorf("reply %q, want %q", reply.Msg, msg)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := ts.accepts.Load(); n != 1 {
			t.Fatalf("%d connections dialed, want 1", n)
		}
	})
	t.Run("remote errors match sentinels", func(t *testing.T) {
		var reply EchoReply
		err := p.RPC(ts.ln.Addr(), "Echo.Missing", &EchoArgs{Msg: "web"}, &reply)
		if !errors.Is(err, structs.ErrNotFound) || !IsErrNotFound(err) || IsErrNoLeader(err) {
			t.Fatalf("got %v, want an error matching ErrNotFound only", err)
		}
		if err.Error() != `job "web": not found` {
			t.Fatalf("message %q lost its context", err.Error())
		}
	})
	t.Run("broken connection is redialed", func(t *testing.T) {
		ts.kill()
		var reply EchoReply
		// The first call may or may not notice the dead connection; a
		// later one must succeed on a fresh one.
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := p.RPC(ts.ln.Addr(), "Echo.Echo", &EchoArgs{Msg: "again"}, &reply)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no successful call after the connection broke: %v", err)
			}
		}
		if n := ts.accepts.Load(); n != 2 {
			t.Fatalf("%d connections dialed, want 2", n)
		}
	})
}

// TestConnPool_RPCTimeout: a call that gets no answer in time fails with
// ErrTimeout, and the suspect connection is dropped so the next call dials
// a fresh one instead of queueing behind the hung one.
func TestConnPool_RPCTimeout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	t.Cleanup(func() { close(hangRelease) })
	p := NewPool(hclog.NewNullLogger(), time.Minute)
	defer p.Shutdown()

	var reply EchoReply
	err := p.RPCTimeout(ts.ln.Addr(), "Echo.Hang", &EchoArgs{}, &reply, 50*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("hung call: got %v, want ErrTimeout", err)
	}
	if err := p.RPCTimeout(ts.ln.Addr(), "Echo.Echo", &EchoArgs{Msg: "next"}, &reply, time.Second); err != nil || reply.Msg != "next" {
		t.Fatalf("call after a timeout: %v (%q)", err, reply.Msg)
	}
	if n := ts.accepts.Load(); n != 2 {
		t.Fatalf("%d connections dialed, want 2: the timed-out one must be dropped", n)
	}
}

func TestConnPool_ReapsIdle(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	p := NewPool(hclog.NewNullLogger(), 20*time.Millisecond)
	defer p.Shutdown()
	var reply EchoReply
	if err := p.RPC(ts.ln.Addr(), "Echo.Echo", &EchoArgs{Msg: "x"}, &reply); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		n := len(p.conns)
		p.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle connection was never closed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConnPool_Shutdown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	p := NewPool(hclog.NewNullLogger(), 0)
	p.Shutdown()
	var reply EchoReply
	if err := p.RPC(ts.ln.Addr(), "Echo.Echo", &EchoArgs{Msg: "x"}, &reply); err == nil {
		t.Fatal("call after shutdown succeeded")
	}
}

func TestErrorFromString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg  string
		want error
	}{
		{"job.register: no cluster leader", structs.ErrNoLeader},
		{`bad request: job validation failed: ID: missing job ID`, structs.ErrBadRequest},
		{"index changed: job modify index 3, want 2", structs.ErrIndexChanged},
		{"disk full", nil},
	}
	for _, tc := range cases {
		t.Run(tc.msg, func(t *testing.T) {
			err := ErrorFromString(tc.msg)
			if err.Error() != tc.msg {
				t.Fatalf("message %q, want %q", err.Error(), tc.msg)
			}
			if got := errors.Unwrap(err); got != tc.want {
				t.Fatalf("unwraps to %v, want %v", got, tc.want)
			}
		})
	}
}
