package allocdir

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
)

// syncBuffer is a bytes.Buffer safe to read while StreamLogs writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func writeLog(t *testing.T, dir, name, data string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	clienttest.WaitFor(t, 5*time.Second, func() (bool, string) { return cond(), "waiting for " + what })
}

func TestStreamLogs_Read(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		files   map[string]string
		req     LogRequest
		want    string
		wantErr string
	}{
		{
			name:  "rotated files in index order, not name order",
			files: map[string]string{"web.stdout.2": "cc", "web.stdout.10": "dd", "web.stdout.1": "bb", "web.stderr.0": "err"},
			req:   LogRequest{Task: "web", Type: "stdout"},
			want:  "bbccdd",
		},
		{
			name:  "offset from start spans files",
			files: map[string]string{"web.stdout.0": "abc", "web.stdout.1": "def"},
			req:   LogRequest{Task: "web", Type: "stdout", Origin: "start", Offset: 4},
			want:  "ef",
		},
		{
			name:  "offset from end",
			files: map[string]string{"web.stdout.0": "abc", "web.stdout.1": "def"},
			req:   LogRequest{Task: "web", Type: "stdout", Origin: "end", Offset: 4},
			want:  "cdef",
		},
		{
			name:  "offset past the end reads nothing",
			files: map[string]string{"web.stdout.0": "abc"},
			req:   LogRequest{Task: "web", Type: "stdout", Offset: 10},
			want:  "",
		},
		{
			name:  "other task with a prefix name is ignored",
			files: map[string]string{"web.stderr.0": "mine", "web2.stderr.0": "theirs", "web.stderr.x": "junk"},
			req:   LogRequest{Task: "web", Type: "stderr", Origin: "end", Offset: 100},
			want:  "mine",
		},
		{
			name:    "bad type",
			req:     LogRequest{Task: "web", Type: "stdin"},
			wantErr: `log type "stdin" is invalid: use "stdout" or "stderr"`,
		},
		{
			name:    "bad origin",
			req:     LogRequest{Task: "web", Type: "stdout", Origin: "middle"},
			wantErr: `log origin "middle" is invalid: use "start" or "end"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, data := range tc.files {
				writeLog(t, dir, name, data)
			}
			tc.req.Dir = dir
			var out bytes.Buffer
			err := StreamLogs(context.Background(), tc.req, &out)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if out.String() != tc.want {
				t.Fatalf("read %q, want %q", out.String(), tc.want)
			}
		})
	}
}

func TestStreamLogs_FollowSeesAppendsAndRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLog(t, dir, "web.stdout.0", "one\n")
	var done atomic.Bool
	var out syncBuffer
	errCh := make(chan error, 1)
	go func() {
		errCh <- StreamLogs(context.Background(), LogRequest{
			Dir: dir, Task: "web", Type: "stdout", Follow: true,
			Done: done.Load, PollInterval: 5 * time.Millisecond,
		}, &out)
	}()
	eventually(t, "first line", func() bool { return out.String() == "one\n" })
	writeLog(t, dir, "web.stdout.0", "two\n")
	eventually(t, "appended line", func() bool { return out.String() == "one\ntwo\n" })
	writeLog(t, dir, "web.stdout.1", "three\n")
	eventually(t, "rotated file", func() bool { return out.String() == "one\ntwo\nthree\n" })

	// Data written just before the task ends must still be sent.
	writeLog(t, dir, "web.stdout.1", "last\n")
	done.Store(true)
	select {
	case err := <-errCh:
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end after the task was done")
	}
	if got := out.String(); got != "one\ntwo\nthree\nlast\n" {
		t.Fatalf("followed %q", got)
	}
}

func TestStreamLogs_FollowEndsWithContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	errCh := make(chan error, 1)
	go func() {
		errCh <- StreamLogs(ctx, LogRequest{Dir: dir, Task: "web", Type: "stderr", Follow: true, PollInterval: 5 * time.Millisecond}, &out)
	}()
	// The file appears only after the follow began.
	writeLog(t, dir, "web.stderr.3", "late\n")
	eventually(t, "late file", func() bool { return strings.Contains(out.String(), "late") })
	cancel()
	select {
	case err := <-errCh:
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end when ctx was cancelled")
	}
}
