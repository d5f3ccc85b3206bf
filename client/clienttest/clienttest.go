package clienttest

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Logger returns a debug logger whose lines go to t.Log, so they show up
// only for failing tests and stay attributed to the right one.
func Logger(t testing.TB) hclog.Logger {
	t.Helper()
	w := &testWriter{t: t}
	// Registered first, so it runs after the cleanups that stop the
	// components logging here; lines logged later are dropped, because
	// t.Log after the test ended panics.
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return hclog.New(&hclog.LoggerOptions{
		Name:   t.Name(),
		Level:  hclog.Debug,
		Output: w,
	})
}

type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

var _ io.Writer = (*testWriter)(nil)

// pollInterval is how often WaitFor re-checks its condition.
const pollInterval = 5 * time.Millisecond

// WaitFor polls cond until it holds or timeout passes, then fails the test
// with cond's last explanation of what it saw.
func WaitFor(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %s", timeout, why)
		}
		time.Sleep(pollInterval)
	}
}
