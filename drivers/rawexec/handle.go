package rawexec

import (
	"errors"
	"fmt"
	"os"
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
	exit   *taskproc.Exit
}

// waitChild reaps the task's process. It is the one goroutine per task
// besides the two log copiers.
func (h *taskHandle) waitChild(proc *os.Process) {
	state, err := proc.Wait()
	if err != nil {
		h.logger.Error("waiting for task process failed", "pid", h.pid, "error", err)
		h.exit.Finish(&sdk.ExitResult{Err: fmt.Errorf("raw_exec: wait for pid %d: %w", h.pid, err)})
		return
	}
	res := taskproc.ResultOf(state)
	h.logger.Debug("task exited", "pid", h.pid, "exit_code", res.ExitCode, "signal", res.Signal)
	h.exit.Finish(res)
}

// pollRecovered watches a re-adopted task until it is gone.
func (h *taskHandle) pollRecovered() {
	t := time.NewTicker(recoveredPollInterval)
	defer t.Stop()
	for range t.C {
		if !h.sameProcess() {
			h.logger.Debug("recovered task exited", "pid", h.pid)
			h.exit.Finish(&sdk.ExitResult{ExitCode: -1, Err: errExitUnknown})
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
	if h.exit.Exited() {
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
	if !h.exit.Exited() {
		if err := h.signal(sig); err != nil {
			return err
		}
		t := time.NewTimer(timeout)
		select {
		case <-h.exit.Done():
			t.Stop()
		case <-t.C:
			h.logger.Debug("task did not stop in time, killing its process group", "timeout", timeout)
			h.killGroup()
			<-h.exit.Done()
		}
	}
	h.killGroup()
	return nil
}
