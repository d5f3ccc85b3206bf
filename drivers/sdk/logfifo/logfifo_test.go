package logfifo_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk/logfifo"
)

func TestPath(t *testing.T) {
	t.Parallel()
	a := logfifo.Path("/a/alloc/logs/web.stdout", "alloc1/web/1")
	b := logfifo.Path("/a/alloc/logs/web.stdout", "alloc1/web/2")
	if a == b {
		t.Errorf("two runs of a task share FIFO %s", a)
	}
	if filepath.Dir(a) != "/a/alloc/logs" || !strings.HasPrefix(filepath.Base(a), ".web.stdout.") {
		t.Errorf("Path = %s, want a hidden file beside the log files", a)
	}
}

// lockedBuffer is a log writer the test can read while Copy writes.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

func (b *lockedBuffer) state() (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.closed
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOutputSurvivesReaderRestart plays a plugin crash: the reader goes
// away, the task keeps writing without EPIPE, and a new reader gets the
// output written meanwhile, then EOF when the task's end closes.
func TestOutputSurvivesReaderRestart(t *testing.T) {
	t.Parallel()
	path := logfifo.Path(filepath.Join(t.TempDir(), "web.stdout"), "a/web/1")
	reader, taskEnd, err := logfifo.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	first := &lockedBuffer{}
	done := make(chan struct{})
	go func() { logfifo.Copy(hclog.NewNullLogger(), reader, first); close(done) }()
	if _, err := io.WriteString(taskEnd, "before\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first reader to copy", func() bool { s, _ := first.state(); return s == "before\n" })

	// The plugin dies: its read end closes.
	_ = reader.Close()
	<-done
	if _, err := io.WriteString(taskEnd, "while down\n"); err != nil {
		t.Fatalf("write with no plugin reading = %v, want success (no EPIPE)", err)
	}

	again, err := logfifo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	second := &lockedBuffer{}
	go logfifo.Copy(hclog.NewNullLogger(), again, second)
	if _, err := io.WriteString(taskEnd, "after\n"); err != nil {
		t.Fatal(err)
	}
	_ = taskEnd.Close() // the task exits
	waitFor(t, "second reader to reach EOF", func() bool { _, closed := second.state(); return closed })
	if got, _ := second.state(); got != "while down\nafter\n" {
		t.Errorf("second reader copied %q, want the output written while down and after", got)
	}
	if err := logfifo.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("FIFO still there after Remove: %v", err)
	}
}

func TestOpenRejectsRegularFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := logfifo.Open(p); err == nil {
		f.Close()
		t.Fatal("Open of a regular file succeeded, want an error")
	}
}
