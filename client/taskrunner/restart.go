package taskrunner

import (
	"context"
	"errors"
	"time"

	"github.com/orch-dev/orch/client/restarts"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// ErrTaskNotRunning is returned by Restart and Signal for a task that is
// not running at the moment.
var ErrTaskNotRunning = errors.New("task is not running")

// restartRequest asks the running task to be stopped and started again.
type restartRequest struct {
	reason string
	// failure counts the restart against the restart policy, as a check
	// restart does in Nomad; a template's restart does not.
	failure bool
}

// Restart stops the running task and starts it again through the restart
// path: with failure it counts as a failed run against the task's restart
// policy (which may then fail the task), without it the task starts again
// at once. Called by the service hook (check_restart) and the template
// hook (change_mode = "restart"), from any goroutine.
func (tr *TaskRunner) Restart(reason string, failure bool) error {
	if tr.currentTaskID() == "" {
		return ErrTaskNotRunning
	}
	select {
	case tr.restartCh <- restartRequest{reason: reason, failure: failure}:
		return nil
	case <-tr.waitCh:
		return ErrTaskNotRunning
	case <-time.After(time.Second):
		// A restart already on its way covers this one.
		return nil
	}
}

// Signal sends sig to the running task.
func (tr *TaskRunner) Signal(sig string) error {
	id := tr.currentTaskID()
	if id == "" {
		return ErrTaskNotRunning
	}
	return tr.cfg.Driver.SignalTask(id, sig)
}

func (tr *TaskRunner) currentTaskID() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.driverTaskID
}

// restartTask stops the task for a restart request. A failure is a
// failed run for the restart tracker; otherwise the run loop starts the
// task again at once (takeImmediateRestart).
func (tr *TaskRunner) restartTask(taskID string, waitCh <-chan *sdk.ExitResult, req restartRequest) restarts.Outcome {
	tr.logger.Info("restarting task on request", "reason", req.reason, "counts_as_failure", req.failure)
	tr.emit(restartSignaledEvent(req.reason))
	timeout := tr.killTimeout()
	if err := tr.cfg.Driver.StopTask(taskID, timeout, tr.task.KillSignal); err != nil {
		tr.logger.Warn("failed to stop task for restart, destroying it", "error", err)
	}
	timer := time.NewTimer(timeout + exitGrace)
	defer timer.Stop()
	select {
	case res := <-waitCh:
		if res != nil {
			tr.emit(terminatedEvent(res.ExitCode, res.Signal, ""))
		}
	case <-timer.C:
	case <-tr.ctx.Done():
	}
	tr.destroy(taskID)
	if !req.failure {
		tr.mu.Lock()
		tr.immediateRestart = true
		tr.mu.Unlock()
	}
	return restarts.Outcome{Successful: false}
}

// takeImmediateRestart reports, once, that the last run ended for a
// restart that does not count against the policy, and records it.
func (tr *TaskRunner) takeImmediateRestart() bool {
	tr.mu.Lock()
	now := tr.immediateRestart
	tr.immediateRestart = false
	tr.mu.Unlock()
	if now {
		tr.update(func(s *structs.TaskState) {
			s.State = structs.TaskStatePending
			s.Restarts++
			s.LastRestart = time.Now()
		})
	}
	return now
}

func restartSignaledEvent(reason string) *structs.TaskEvent {
	ev := newEvent(structs.TaskRestartSignal, reason)
	ev.RestartReason = reason
	ev.Details["restart_reason"] = reason
	return ev
}

// EnvMap is the task's environment (NOMAD_* variables, env block), for
// commands the client runs on the task's behalf (script checks of
// raw_exec tasks).
func (tr *TaskRunner) EnvMap() map[string]string { return tr.taskEnv().Map() }

// Exec runs a command inside the running task through its driver, for
// script checks; sdk.ErrExecNotSupported when the driver cannot.
func (tr *TaskRunner) Exec(ctx context.Context, command string, args []string) ([]byte, int, error) {
	ed, ok := tr.cfg.Driver.(sdk.ExecTaskDriver)
	if !ok {
		return nil, 0, sdk.ErrExecNotSupported
	}
	id := tr.currentTaskID()
	if id == "" {
		return nil, 0, ErrTaskNotRunning
	}
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	res, err := ed.ExecTask(id, append([]string{command}, args...), timeout)
	if err != nil {
		return nil, 0, err
	}
	return res.Output, res.ExitCode, nil
}
