package drivertest

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// testWriter sends log lines to t until the test ends; plugin and driver
// goroutines may still log after that, which t.Log would panic on. A race
// report of a plugin child arrives here too and fails the test.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
		if bytes.Contains(p, []byte("WARNING: DATA RACE")) {
			w.t.Error("the plugin process reported a data race")
		}
	}
	return len(p), nil
}

// Logger returns a debug logger that writes to t for as long as the test
// runs and drops what comes after.
func Logger(t testing.TB) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return hclog.New(&hclog.LoggerOptions{Name: "test", Level: hclog.Debug, Output: w})
}

// NoRaceLinger stops every plugin child from lingering a second at exit
// under -race waiting for late race reports: its reports reach the test
// through Logger, so the wait buys nothing. Call it from TestMain after
// catalog.MaybeServePlugin, before m.Run.
func NoRaceLinger() {
	_ = os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
}
