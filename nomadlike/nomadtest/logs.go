package nomadtest

import (
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// LogCapture keeps every line a logger wrote, for tests that assert a
// message was logged; the lines also go to t.Log.
type LogCapture struct {
	mu    sync.Mutex
	lines []string
	t     testing.TB
	done  bool
}

// CaptureLogger returns a logger that writes to t.Log and to the returned
// capture.
func CaptureLogger(t testing.TB, name string) (hclog.Logger, *LogCapture) {
	c := &LogCapture{t: t}
	t.Cleanup(func() {
		c.mu.Lock()
		c.done = true
		c.mu.Unlock()
	})
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Debug, Output: c}), c
}

func (c *LogCapture) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, line)
	if !c.done {
		c.t.Log(line)
	}
	return len(p), nil
}

// Find returns the first line containing every one of parts, or "".
func (c *LogCapture) Find(parts ...string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
next:
	for _, l := range c.lines {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		return l
	}
	return ""
}
