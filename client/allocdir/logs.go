package allocdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultLogPollInterval is how often a follow checks for new log data:
// short enough to feel live, long enough to cost nothing.
const DefaultLogPollInterval = 100 * time.Millisecond

// LogRequest says which log to read and how.
type LogRequest struct {
	// Dir holds the rotated files (AllocDir.LogDir).
	Dir  string
	Task string
	// Type is "stdout" or "stderr".
	Type string
	// Origin is "start" (Offset counts from the first byte still on disk)
	// or "end" (Offset counts back from the last byte); empty means start.
	Origin string
	Offset int64
	// Follow keeps streaming data appended after the current end.
	Follow bool
	// Done reports that the task will write no more; a follow ends once it
	// returns true and everything written was sent. Nil means never.
	Done func() bool
	// PollInterval defaults to DefaultLogPollInterval.
	PollInterval time.Duration
}

// Validate checks the request and says what would be valid.
func (r *LogRequest) Validate() error {
	if r.Type != "stdout" && r.Type != "stderr" {
		return fmt.Errorf("log type %q is invalid: use \"stdout\" or \"stderr\"", r.Type)
	}
	if r.Origin != "" && r.Origin != "start" && r.Origin != "end" {
		return fmt.Errorf("log origin %q is invalid: use \"start\" or \"end\"", r.Origin)
	}
	if r.Offset < 0 {
		return fmt.Errorf("log offset %d is invalid: it must be zero or positive", r.Offset)
	}
	return nil
}

// logFile is one rotated file: its rotation index and size when listed.
type logFile struct {
	index int
	size  int64
}

// StreamLogs writes the task's log to w, reading the rotated files in index
// order as if they were one stream. It returns nil at the end of the data,
// at the end of a follow, or when ctx is done; it returns an error for a
// bad request or when reading or writing fails.
func StreamLogs(ctx context.Context, req LogRequest, w io.Writer) error {
	if err := req.Validate(); err != nil {
		return err
	}
	if req.PollInterval <= 0 {
		req.PollInterval = DefaultLogPollInterval
	}
	files, err := listLogs(req.Dir, req.Task, req.Type)
	if err != nil {
		return err
	}
	idx, pos := startPosition(files, req.Origin, req.Offset)
	ticker := time.NewTicker(req.PollInterval)
	defer ticker.Stop()
	for {
		// Whether the task was done is read before the files so that
		// everything it wrote is on disk by the time we read them.
		finished := req.Done != nil && req.Done()
		files, err := listLogs(req.Dir, req.Task, req.Type)
		if err != nil {
			return err
		}
		if len(files) > 0 && (idx < 0 || idx < files[0].index) {
			// Nothing read yet, or the file we were on was rotated away.
			idx, pos = files[0].index, 0
		}
		if idx >= 0 {
			n, err := copyFrom(filepath.Join(req.Dir, logName(req.Task, req.Type, idx)), pos, w)
			pos += n
			if err != nil {
				return err
			}
			// A newer file exists in the listing taken before the read, so
			// the writer had finished with this one: move on at once.
			if next, ok := nextIndex(files, idx); ok {
				idx, pos = next, 0
				continue
			}
		}
		if !req.Follow || finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func logName(task, logType string, index int) string {
	return task + "." + logType + "." + strconv.Itoa(index)
}

// listLogs returns the task's files of one type, oldest first.
func listLogs(dir, task, logType string) ([]logFile, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list logs: %w", err)
	}
	prefix := task + "." + logType + "."
	var files []logFile
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		index, err := strconv.Atoi(rest)
		if err != nil || index < 0 {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // rotated away between ReadDir and Info
		}
		files = append(files, logFile{index: index, size: info.Size()})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].index < files[j].index })
	return files, nil
}

// startPosition turns an origin and offset into a file index and a
// position inside it; index -1 means "the first file that appears".
func startPosition(files []logFile, origin string, offset int64) (int, int64) {
	if len(files) == 0 {
		return -1, 0
	}
	skip := offset
	if origin == "end" {
		var total int64
		for _, f := range files {
			total += f.size
		}
		skip = max(total-offset, 0)
	}
	for _, f := range files {
		if skip < f.size {
			return f.index, skip
		}
		skip -= f.size
	}
	last := files[len(files)-1]
	return last.index, last.size
}

func nextIndex(files []logFile, idx int) (int, bool) {
	for _, f := range files {
		if f.index > idx {
			return f.index, true
		}
	}
	return 0, false
}

// copyFrom copies path from pos to its current end. A file that vanished
// (rotated away) reads as empty.
func copyFrom(path string, pos int64, w io.Writer) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(pos, io.SeekStart); err != nil {
		return 0, fmt.Errorf("seek log: %w", err)
	}
	n, err := io.Copy(w, f)
	if err != nil {
		return n, fmt.Errorf("stream log: %w", err)
	}
	return n, nil
}
