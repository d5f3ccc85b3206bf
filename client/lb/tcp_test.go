package lb_test

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/servicewatch/servicewatchtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// echoServer echoes everything and closes its side after the client's EOF.
func echoServer(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestTCPEchoHalfClose(t *testing.T) {
	t.Parallel()
	spec := &structs.ServicePublish{Port: 19000, Mode: structs.PublishModeTCP}
	cat := servicewatchtest.New()
	// A dead instance first: the dial fails over to the live one.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close()
	cat.Upsert(
		&structs.ServiceRegistration{ID: "reg-dead", ServiceName: "web", Namespace: "default", AllocID: "alloc-dead", Address: "127.0.0.1", Port: deadPort, Status: structs.HealthPassing, Publish: spec},
		&structs.ServiceRegistration{ID: "reg-echo", ServiceName: "web", Namespace: "default", AllocID: "alloc-echo", Address: "127.0.0.1", Port: echoServer(t), Status: structs.HealthPassing, Publish: spec},
	)
	addr := published(t, startLB(t, cat))
	for i := 0; i < 4; i++ {
		t.Run("conn "+strconv.Itoa(i), func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			msg := bytes.Repeat([]byte("ping "+strconv.Itoa(i)+"\n"), 10000)
			go func() {
				c.Write(msg)
				c.(*net.TCPConn).CloseWrite() // half-close: the echo still answers
			}()
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("echo returned %d bytes, want %d", len(got), len(msg))
			}
		})
	}
}

func TestPortPublishedOnce(t *testing.T) {
	t.Parallel()
	spec := &structs.ServicePublish{Port: 19001, Mode: structs.PublishModeTCP}
	cat := servicewatchtest.New()
	cat.Upsert(
		&structs.ServiceRegistration{ID: "1", ServiceName: "web", Namespace: "default", AllocID: "a1", Address: "127.0.0.1", Port: 1, Status: structs.HealthPassing, Publish: spec},
		&structs.ServiceRegistration{ID: "2", ServiceName: "zzz", Namespace: "default", AllocID: "a2", Address: "127.0.0.1", Port: 2, Status: structs.HealthPassing, Publish: spec},
	)
	m := startLB(t, cat)
	published(t, m)
	if addr := m.Addr(servicewatchtestID("zzz")); addr != "" {
		t.Fatalf("second service on port %d published at %s", spec.Port, addr)
	}
	// Once web stops publishing, the port goes to zzz.
	cat.Delete("1")
	pollUntil(t, "zzz published", func() bool { return m.Addr(servicewatchtestID("zzz")) != "" })
}
