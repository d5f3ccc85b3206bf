package exec

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

// cgroupRemoveTimeout bounds how long DestroyTask waits for the kernel to
// empty a dead task's cgroup.
const cgroupRemoveTimeout = 5 * time.Second

// errExitUnknown is the ExitResult.Err of a task re-adopted by RecoverTask:
// only its parent could have collected its exit status.
var errExitUnknown = errors.New("exec: task exited while not a child of this plugin; its exit status is unknown")

// taskHandle tracks one running or exited task. pid is the host pid of the
// task's main process, which is init (pid 1) of the task's PID namespace:
// when it dies, the kernel kills every other process of the task.
type taskHandle struct {
	id, name  string
	pid       int
	startTime uint64 // /proc start time, guards against pid reuse
	startedAt time.Time
	cgroup    *taskCgroup
	fifos     [2]string
	logger    hclog.Logger
	exit      *taskproc.Exit
}

// waitChild reaps the task's main process, then asks its cgroup whether
// the OOM killer was the cause.
func (h *taskHandle) waitChild(proc *os.Process) {
	state, err := proc.Wait()
	if err != nil {
		h.logger.Error("waiting for task process failed", "pid", h.pid, "error", err)
		h.exit.Finish(&sdk.ExitResult{Err: fmt.Errorf("%s: wait for pid %d: %w", Name, h.pid, err)})
		return
	}
	res := taskproc.ResultOf(state)
	res.OOMKilled = h.cgroup.oomKilled()
	h.logger.Debug("task exited", "pid", h.pid, "exit_code", res.ExitCode, "signal", res.Signal, "oom_killed", res.OOMKilled)
	h.exit.Finish(res)
}

// pollRecovered watches a re-adopted task until it is gone.
func (h *taskHandle) pollRecovered() {
	t := time.NewTicker(recoveredPollInterval)
	defer t.Stop()
	for range t.C {
		if !h.alive() {
			h.logger.Debug("recovered task exited", "pid", h.pid)
			h.exit.Finish(&sdk.ExitResult{ExitCode: -1, Err: errExitUnknown, OOMKilled: h.cgroup.oomKilled()})
			return
		}
	}
}

// alive reports whether the task's main process still runs.
func (h *taskHandle) alive() bool {
	return taskproc.SameProcess(h.pid, h.startTime)
}

// signal delivers sig to the task's main process only, as Nomad does. As
// init of its namespace, the task receives only signals it handles (and
// SIGKILL): a program without a SIGINT handler ignores the default stop
// signal and is killed at the stop timeout, as in a container.
func (h *taskHandle) signal(sig syscall.Signal) error {
	if h.exit.Exited() || !h.alive() {
		return nil
	}
	if err := syscall.Kill(h.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: signal %s to pid %d: %w", Name, sig, h.pid, err)
	}
	return nil
}

// kill ends the whole task: killing its namespace's init makes the kernel
// kill every other process in the namespace, however they detached.
func (h *taskHandle) kill() {
	if !h.alive() {
		return
	}
	if err := syscall.Kill(h.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		h.logger.Warn("killing task failed", "pid", h.pid, "error", err)
	}
}

// stop sends sig, waits up to timeout for the task to exit, then kills it.
func (h *taskHandle) stop(sig syscall.Signal, timeout time.Duration) error {
	if h.exit.Exited() {
		return nil
	}
	if err := h.signal(sig); err != nil {
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-h.exit.Done():
	case <-t.C:
		h.logger.Debug("task did not stop in time, killing it", "timeout", timeout)
		h.kill()
		<-h.exit.Done()
	}
	return nil
}
