package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/sdk/logrotate"
)

// positionEvery is how often the log position is written to disk at
// most: a restarted plugin repeats at most this much output.
const positionEvery = 250 * time.Millisecond

// taskLogs copies a container's output into the same rotated files a
// raw_exec task writes, so `orch alloc logs` reads both alike.
type taskLogs struct {
	stdout, stderr io.WriteCloser
	pos            logPosition

	mu     sync.Mutex
	last   time.Time // engine timestamp of the newest line written
	stored time.Time // when the position was last written
	failed bool      // a log file write failed; output is discarded
}

// openTaskLogs opens the task's log files, or returns nil when its logs
// are disabled.
func openTaskLogs(cfg *sdk.TaskConfig) (*taskLogs, error) {
	if cfg.LogDisabled {
		return nil, nil
	}
	if cfg.StdoutPath == "" || cfg.StderrPath == "" {
		return nil, fmt.Errorf("docker: task %q has no log path; the client must set StdoutPath and StderrPath", cfg.ID)
	}
	files := cfg.LogMaxFiles
	if files <= 0 {
		files = defaultLogMaxFiles
	}
	size := int64(logMaxSizeMB(cfg)) << 20
	stdout, err := logrotate.New(cfg.StdoutPath, files, size)
	if err != nil {
		return nil, fmt.Errorf("docker: task logs: %w", err)
	}
	stderr, err := logrotate.New(cfg.StderrPath, files, size)
	if err != nil {
		_ = stdout.Close()
		return nil, fmt.Errorf("docker: task logs: %w", err)
	}
	l := &taskLogs{stdout: stdout, stderr: stderr}
	if cfg.TaskDir != "" {
		l.pos = logPosition{path: filepath.Join(cfg.TaskDir, logPositionFile)}
	}
	return l, nil
}

func (l *taskLogs) close() {
	if l == nil {
		return
	}
	_ = l.stdout.Close()
	_ = l.stderr.Close()
}

// follow streams the container's output from since until the container
// stops or ctx ends, reconnecting when the engine drops the stream while
// the container still runs. It closes the log files when it returns.
func (l *taskLogs) follow(ctx context.Context, cli *client.Client, id string, since time.Time, logger hclog.Logger) {
	defer l.close()
	backoff := 250 * time.Millisecond
	for {
		err := l.stream(ctx, cli, id, since, true, logger)
		l.storePosition(logger, true)
		if ctx.Err() != nil {
			return
		}
		running, ierr := isRunning(ctx, cli, id)
		if cerrdefs.IsNotFound(ierr) {
			return
		}
		if ierr == nil && !running {
			// A follower can miss what the engine logs as the container
			// stops (a last line without a newline); a plain read of
			// everything after the last line written picks it up.
			if err := l.stream(ctx, cli, id, l.resumeFrom(since), false, logger); err != nil && ctx.Err() == nil {
				logger.Warn("reading the container's last output failed", "error", err)
			}
			l.storePosition(logger, true)
			return
		}
		logger.Debug("container log stream ended early, reconnecting", "error", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, retryMax)
		since = l.resumeFrom(since)
	}
}

// resumeFrom is where a new stream continues: just after the last line
// written (the engine's since is inclusive), or at since if none was.
func (l *taskLogs) resumeFrom(since time.Time) time.Time {
	if last := l.position(); !last.IsZero() {
		return last.Add(time.Nanosecond)
	}
	return since
}

func (l *taskLogs) stream(ctx context.Context, cli *client.Client, id string, since time.Time, follow bool, logger hclog.Logger) error {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Timestamps: true}
	if !since.IsZero() {
		opts.Since = strconv.FormatInt(since.Unix(), 10) + "." + fmt.Sprintf("%09d", since.Nanosecond())
	}
	rc, err := cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return fmt.Errorf("open log stream: %w", err)
	}
	defer rc.Close()
	_, err = stdcopy.StdCopy(&stampedWriter{l: l, w: l.stdout, logger: logger}, &stampedWriter{l: l, w: l.stderr, logger: logger}, rc)
	return err
}

// stampedWriter receives one log message per Write from stdcopy, each
// prefixed with the engine's timestamp and a space (Timestamps: true). It
// strips the stamp, remembers it as the log position, and writes the rest.
type stampedWriter struct {
	l      *taskLogs
	w      io.Writer
	logger hclog.Logger
}

func (s *stampedWriter) Write(p []byte) (int, error) {
	line := p
	if i := bytes.IndexByte(p, ' '); i > 0 {
		if t, err := time.Parse(time.RFC3339Nano, string(p[:i])); err == nil {
			line = p[i+1:]
			s.l.seen(t)
		}
	}
	s.l.write(s.w, line, s.logger)
	s.l.storePosition(s.logger, false)
	return len(p), nil
}

// write appends to a log file. A failing file (disk full) must not stall
// the stream, which would only fill the engine's buffer, so its output is
// then discarded.
func (l *taskLogs) write(w io.Writer, p []byte, logger hclog.Logger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed {
		return
	}
	if _, err := w.Write(p); err != nil {
		logger.Error("writing task output failed, discarding the rest", "error", err)
		l.failed = true
	}
}

func (l *taskLogs) seen(t time.Time) {
	l.mu.Lock()
	if t.After(l.last) {
		l.last = t
	}
	l.mu.Unlock()
}

func (l *taskLogs) position() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// storePosition writes the position if it moved and, unless final, if
// positionEvery has passed since the last write.
func (l *taskLogs) storePosition(logger hclog.Logger, final bool) {
	l.mu.Lock()
	last := l.last
	due := !last.IsZero() && (final || time.Since(l.stored) >= positionEvery)
	if due {
		l.stored = time.Now()
	}
	l.mu.Unlock()
	if !due {
		return
	}
	if err := l.pos.store(last); err != nil {
		logger.Warn("saving log position failed; a restarted plugin may repeat log lines", "error", err)
	}
}

func isRunning(ctx context.Context, cli *client.Client, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	info, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		return false, err
	}
	return info.State != nil && info.State.Running, nil
}
