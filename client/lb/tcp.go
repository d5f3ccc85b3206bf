package lb

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// clientIP is the host part of a remote address, the affinity key.
func clientIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

// tcpProxy copies each accepted connection to and from one instance.
type tcpProxy struct {
	svc         *published
	dialTimeout time.Duration
	logger      hclog.Logger
	wg          sync.WaitGroup
}

// serve accepts until ln is closed.
func (t *tcpProxy) serve(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.handle(conn)
		}()
	}
}

// handle dials instances in pick order until one answers, then pipes.
func (t *tcpProxy) handle(conn net.Conn) {
	defer conn.Close()
	key := clientIP(conn.RemoteAddr().String())
	tried := map[*backend]bool{}
	for {
		b := t.svc.pool.pick(key, tried)
		if b == nil {
			t.logger.Warn("no instance accepted the connection", "client", key, "tried", len(tried))
			return
		}
		tried[b] = true
		d := net.Dialer{Timeout: t.dialTimeout}
		up, err := d.DialContext(context.Background(), "tcp", b.addr)
		if err != nil {
			t.svc.pool.markDown(b)
			t.logger.Debug("instance dial failed", "alloc_id", b.allocID, "address", b.addr, "error", err)
			continue
		}
		t.svc.count(b)
		b.active.Add(1)
		pipe(conn, up)
		b.active.Add(-1)
		return
	}
}

// closeWriter is a connection that can half-close (TCP, TLS, unix).
type closeWriter interface{ CloseWrite() error }

// pipe copies both ways; when one side finishes sending, the other side's
// write half is closed so it sees EOF but can still answer.
func pipe(a, b net.Conn) {
	defer b.Close()
	var wg sync.WaitGroup
	copyHalf := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(closeWriter); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
	}
	wg.Add(2)
	go copyHalf(b, a)
	go copyHalf(a, b)
	wg.Wait()
}
