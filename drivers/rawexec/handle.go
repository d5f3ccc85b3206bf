package rawexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

// recoveredPollInterval is how often a re-adopted task is checked for
// exit. Such a task is not our child, so there is no wait(2) to block in;
// a second bounds how late its exit is noticed at negligible cost.
const recoveredPollInterval = time.Second

// errExitUnknown is the ExitResult.Err of a task re-adopted by RecoverTask:
// only its parent could have collected its exit status.
var errExitUnknown = errors.New("raw_exec: task exited while not a child of this plugin; its exit status is unknown")

// taskHandle tracks one running or exited task. pid is also the process
// group id, because the task starts as the leader of its own group.
type taskHandle struct {
	id, name  string
	pid       int
	startTime uint64 // /proc start time, guards against pid reuse
	startedAt time.Time
	// fifos are the task's stdout and stderr FIFOs, removed on destroy.
	fifos  []string
	logger hclog.Logger

	// done is closed once result is set.
	done chan struct{}

	mu          sync.Mutex
	completedAt time.Time
	result      *sdk.ExitResult
}

func (h *taskHandle) exited() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func (h *taskHandle) finish(res *sdk.ExitResult) {
	h.mu.Lock()
	h.result, h.completedAt = res, time.Now()
	h.mu.Unlock()
	close(h.done)
}

func (h *taskHandle) exitResult() *sdk.ExitResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.result
}

// waitChild reaps the task's process. It is the one goroutine per task
// besides the two log copiers.
func (h *taskHandle) waitChild(proc *os.Process) {
	state, err := proc.Wait()
	if err != nil {
		h.logger.Error("waiting for task process failed", "pid", h.pid, "error", err)
		h.finish(&sdk.ExitResult{Err: fmt.Errorf("raw_exec: wait for pid %d: %w", h.pid, err)})
		return
	}
	res := &sdk.ExitResult{ExitCode: state.ExitCode()}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		// Shells report a death by signal N as 128+N; users and restart
		// policies read exit codes that way.
		res.Signal = int(ws.Signal())
		res.ExitCode = 128 + res.Signal
	}
	h.logger.Debug("task exited", "pid", h.pid, "exit_code", res.ExitCode, "signal", res.Signal)
	h.finish(res)
}

// pollRecovered watches a re-adopted task until it is gone.
func (h *taskHandle) pollRecovered() {
	t := time.NewTicker(recoveredPollInterval)
	defer t.Stop()
	for range t.C {
		if !h.sameProcess() {
			h.logger.Debug("recovered task exited", "pid", h.pid)
			h.finish(&sdk.ExitResult{ExitCode: -1, Err: errExitUnknown})
			return
		}
	}
}

// sameProcess reports whether the task's main process still runs. A start
// time of zero means it could not be read at start; the pid alone must do.
func (h *taskHandle) sameProcess() bool {
	if h.startTime == 0 {
		st, err := taskproc.ReadStat(h.pid)
		return err == nil && st.State != 'Z'
	}
	return taskproc.SameProcess(h.pid, h.startTime)
}

// signal delivers sig to the task's main process only, as Nomad does: the
// task decides how to pass a graceful signal on to its children.
func (h *taskHandle) signal(sig syscall.Signal) error {
	if h.exited() {
		return nil
	}
	if !h.sameProcess() {
		return nil
	}
	if err := syscall.Kill(h.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("raw_exec: signal %s to pid %d: %w", sig, h.pid, err)
	}
	return nil
}

// killGroup sends SIGKILL to every process of the task's group. Once the
// leader is reaped its pid could be reused, but never while a process of
// the group lives; so a process now holding that pid with another start
// time means the group is empty and someone else owns the pid.
func (h *taskHandle) killGroup() {
	if st, err := taskproc.ReadStat(h.pid); err == nil && h.startTime != 0 && st.StartTime != h.startTime {
		return
	}
	if err := syscall.Kill(-h.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		h.logger.Warn("killing task process group failed", "pgid", h.pid, "error", err)
	}
}

// stop sends sig, waits up to timeout for the task to exit, then kills its
// whole group. Processes left in the group after the leader exits are
// killed too, so a stopped task leaves nothing behind.
func (h *taskHandle) stop(sig syscall.Signal, timeout time.Duration) error {
	if !h.exited() {
		if err := h.signal(sig); err != nil {
			return err
		}
		t := time.NewTimer(timeout)
		select {
		case <-h.done:
			t.Stop()
		case <-t.C:
			h.logger.Debug("task did not stop in time, killing its process group", "timeout", timeout)
			h.killGroup()
			<-h.done
		}
	}
	h.killGroup()
	return nil
}

func (h *taskHandle) status() *sdk.TaskStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := &sdk.TaskStatus{
		ID:          h.id,
		Name:        h.name,
		State:       sdk.TaskStateRunning,
		StartedAt:   h.startedAt,
		CompletedAt: h.completedAt,
	}
	if h.result != nil {
		st.State = sdk.TaskStateExited
		r := *h.result
		st.ExitResult = &r
	}
	return st
}

// waitCtx yields the task's result on a fresh channel unless ctx ends first.
func (h *taskHandle) waitCtx(ctx context.Context) <-chan *sdk.ExitResult {
	out := make(chan *sdk.ExitResult, 1)
	if h.exited() {
		out <- h.exitResult()
		close(out)
		return out
	}
	go func() {
		defer close(out)
		select {
		case <-h.done:
			out <- h.exitResult()
		case <-ctx.Done():
		}
	}()
	return out
}
