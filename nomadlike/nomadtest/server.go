package nomadtest

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike"
)

// Logger returns an hclog logger that writes to t.Log until the test ends;
// later lines (from goroutines still winding down) are dropped rather than
// panicking the test binary.
func Logger(t testing.TB, name string) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return hclog.New(&hclog.LoggerOptions{
		Name:   name,
		Level:  hclog.Debug,
		Output: w,
	})
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Helper()
		w.t.Log(string(p[:len(p)-1]))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// TestServer starts a dev-mode server on 127.0.0.1 port 0 with two
// scheduling workers, lets cb adjust the config, and waits until it leads.
// The server shuts down when the test ends.
func TestServer(t testing.TB, cb func(*nomadlike.Config)) *nomadlike.Server {
	t.Helper()
	cfg := &nomadlike.Config{
		Logger:        Logger(t, "server"),
		NodeName:      "test-server",
		DevMode:       true,
		RPCAddr:       &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0},
		NumSchedulers: 2,
	}
	if cb != nil {
		cb(cfg)
	}
	s, err := nomadlike.NewServer(cfg)
	if err != nil {
		t.Fatalf("start test server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Shutdown(); err != nil {
			t.Errorf("shut down test server: %v", err)
		}
	})
	WaitForLeader(t, s)
	return s
}

// WaitForLeader fails the test unless s becomes leader within 10 seconds.
func WaitForLeader(t testing.TB, s *nomadlike.Server) {
	t.Helper()
	WaitFor(t, 10*time.Second, func() error {
		if !s.IsLeader() {
			return fmt.Errorf("server %s is not leader yet", s.RPCAddr())
		}
		return nil
	})
}

// WaitFor polls cond until it returns nil, failing the test with cond's
// last error once timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}
