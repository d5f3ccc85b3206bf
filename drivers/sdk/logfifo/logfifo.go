package logfifo

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/hashicorp/go-hclog"
)

// fifoMode keeps other local users out; the task gets its end already
// open, so it needs no permission on the file whatever user it runs as.
const fifoMode = 0o600

// Path is where the FIFO of one task's stream lives: next to the rotated
// files of base ("<dir>/<task>.stdout"), hidden from log listings by the
// leading dot, and unique per task run so that a restarted task never
// opens the pipe of the run before it.
func Path(base, taskID string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(taskID))
	return filepath.Join(filepath.Dir(base), "."+filepath.Base(base)+"."+strconv.FormatUint(uint64(h.Sum32()), 16)+".fifo")
}

// Create makes a fresh FIFO at path and opens both ends: reader, for the
// plugin's copier, and taskEnd, to become the task's stdout or stderr.
// The caller passes taskEnd to the task and closes its own copy once the
// task has started; until then reader cannot see EOF.
func Create(path string) (reader, taskEnd *os.File, err error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("logfifo: remove stale %s: %w", path, err)
	}
	if err := syscall.Mkfifo(path, fifoMode); err != nil {
		return nil, nil, fmt.Errorf("logfifo: create %s: %w", path, err)
	}
	reader, err = Open(path)
	if err != nil {
		_ = os.Remove(path)
		return nil, nil, err
	}
	// Opened read-write, blocking: a FIFO opened O_RDWR does not wait for
	// a peer, and a blocking descriptor is what a task expects on stdout.
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		_ = reader.Close()
		_ = os.Remove(path)
		return nil, nil, fmt.Errorf("logfifo: open task end of %s: %w", path, err)
	}
	return reader, os.NewFile(uintptr(fd), path), nil
}

// Open opens the plugin's read end of an existing FIFO, for a task that a
// restarted plugin recovers. Non-blocking, so the open does not wait for
// a writer and the runtime poller serves the reads; reads report EOF once
// no writer is left.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("logfifo: open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		_ = f.Close()
		return nil, fmt.Errorf("logfifo: %s is not a FIFO", path)
	}
	return f, nil
}

// Copy drains r into w until every writer of the FIFO is gone, then
// closes both. A failing writer (disk full) must not block the task, so
// output is then discarded rather than left to fill the pipe.
func Copy(logger hclog.Logger, r io.ReadCloser, w io.WriteCloser) {
	defer r.Close()
	defer w.Close()
	buf := make([]byte, 8<<10)
	failed := false
	for {
		n, err := r.Read(buf)
		if n > 0 && !failed {
			if _, werr := w.Write(buf[:n]); werr != nil {
				logger.Error("writing task output failed, discarding the rest", "error", werr)
				failed = true
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				logger.Warn("reading task output failed", "error", err)
			}
			return
		}
	}
}

// Remove deletes the FIFO at path; one already gone is not an error.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("logfifo: remove %s: %w", path, err)
	}
	return nil
}
