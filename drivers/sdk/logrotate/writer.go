package logrotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// fileMode keeps task output away from other local users: logs often carry
// tokens and hostnames, and only the agent needs to read them.
const fileMode = 0o640

// Writer is an io.WriteCloser that splits its input across rotated files.
// It is safe for concurrent use, though drivers write from one goroutine.
type Writer struct {
	base     string
	maxFiles int
	maxSize  int64

	mu     sync.Mutex
	f      *os.File
	index  int
	size   int64
	closed bool
}

// New opens the newest "<base>.N" for appending, or "<base>.0" if there is
// none, and removes files beyond the newest maxFiles. maxFiles and
// maxFileSize must be positive.
func New(base string, maxFiles int, maxFileSize int64) (*Writer, error) {
	if maxFiles < 1 {
		return nil, fmt.Errorf("logrotate: max files must be at least 1, got %d", maxFiles)
	}
	if maxFileSize < 1 {
		return nil, fmt.Errorf("logrotate: max file size must be at least 1 byte, got %d", maxFileSize)
	}
	indexes, err := existing(base)
	if err != nil {
		return nil, err
	}
	w := &Writer{base: base, maxFiles: maxFiles, maxSize: maxFileSize}
	if len(indexes) > 0 {
		w.index = indexes[len(indexes)-1]
	}
	f, err := os.OpenFile(w.path(w.index), os.O_WRONLY|os.O_CREATE|os.O_APPEND, fileMode)
	if err != nil {
		return nil, fmt.Errorf("logrotate: open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("logrotate: stat log file: %w", err)
	}
	w.f, w.size = f, st.Size()
	for _, i := range indexes {
		if i <= w.index-maxFiles {
			w.remove(i)
		}
	}
	return w, nil
}

// Write never splits p across a file boundary at a point other than the
// size limit, so every file but the newest is exactly maxFileSize long.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, os.ErrClosed
	}
	written := 0
	for len(p) > 0 {
		if w.size >= w.maxSize {
			if err := w.rotate(); err != nil {
				return written, err
			}
		}
		chunk := p
		if room := w.maxSize - w.size; int64(len(chunk)) > room {
			chunk = chunk[:room]
		}
		n, err := w.f.Write(chunk)
		written += n
		w.size += int64(n)
		if err != nil {
			return written, fmt.Errorf("logrotate: write %s: %w", w.path(w.index), err)
		}
		p = p[n:]
	}
	return written, nil
}

// Close closes the current file; later writes fail with os.ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return w.f.Close()
}

// rotate moves to the next index and deletes the file that falls out of
// the window. Only that one can, because New already trimmed the rest.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("logrotate: close %s: %w", w.path(w.index), err)
	}
	next := w.index + 1
	f, err := os.OpenFile(w.path(next), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		// Reopen the old file so later writes do not hit a closed file;
		// exceeding the size limit beats losing output.
		if old, oerr := os.OpenFile(w.path(w.index), os.O_WRONLY|os.O_APPEND, fileMode); oerr == nil {
			w.f = old
		}
		return fmt.Errorf("logrotate: open next log file: %w", err)
	}
	w.f, w.index, w.size = f, next, 0
	if stale := next - w.maxFiles; stale >= 0 {
		w.remove(stale)
	}
	return nil
}

// remove ignores failures: a file that cannot be deleted costs disk space
// but must not stop the task's output.
func (w *Writer) remove(index int) {
	_ = os.Remove(w.path(index))
}

func (w *Writer) path(index int) string {
	return w.base + "." + strconv.Itoa(index)
}

// existing returns the indexes of "<base>.N" files in ascending order.
func existing(base string) ([]int, error) {
	dir, prefix := filepath.Dir(base), filepath.Base(base)+"."
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("logrotate: log directory %s does not exist: %w", dir, err)
		}
		return nil, fmt.Errorf("logrotate: list log directory: %w", err)
	}
	var out []int
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, prefix) {
			continue
		}
		i, err := strconv.Atoi(name[len(prefix):])
		if err != nil || i < 0 {
			continue
		}
		out = append(out, i)
	}
	// ReadDir sorts by name, which puts 10 before 2.
	slices.Sort(out)
	return out, nil
}
