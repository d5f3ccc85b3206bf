package taskrunner

import (
	"time"

	"github.com/orch-dev/orch/client/restarts"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// lostAfterRestart is the event message of a task whose process did not
// survive while the agent was down.
const lostAfterRestart = "task not found after client restart"

// StateStore persists what a restarted agent needs to recover a task.
// client/state.DB implements it. Calls come from the runner's goroutines;
// the writes of one task never overlap.
type StateStore interface {
	PutTaskState(allocID, task string, st *structs.TaskState) error
	// PutTaskHandle stores the driver handle of the task's current run;
	// nil removes it once the driver task is destroyed.
	PutTaskHandle(allocID, task string, h *sdk.TaskHandle) error
}

// persistState writes the task's current state. A failed write is logged:
// it costs an accurate restore, not the running task.
func (tr *TaskRunner) persistState() {
	if tr.cfg.Store == nil {
		return
	}
	tr.persistMu.Lock()
	defer tr.persistMu.Unlock()
	if err := tr.cfg.Store.PutTaskState(tr.cfg.Alloc.ID, tr.task.Name, tr.State()); err != nil {
		tr.logger.Warn("failed to persist task state", "error", err)
	}
}

// persistHandle records the handle of the run just started, or forgets it
// (nil) once the driver task is destroyed. It is written before the task
// is reported running, so an agent killed after that point finds it.
func (tr *TaskRunner) persistHandle(h *sdk.TaskHandle) {
	if tr.cfg.Store == nil {
		return
	}
	if err := tr.cfg.Store.PutTaskHandle(tr.cfg.Alloc.ID, tr.task.Name, h); err != nil {
		tr.logger.Warn("failed to persist task handle", "error", err)
	}
}

// applyRestoredState starts the runner from the persisted state, events
// and restart count included, rather than from a fresh pending state.
func (tr *TaskRunner) applyRestoredState() {
	st := tr.cfg.RestoredState
	if st == nil {
		return
	}
	cp := *st
	cp.Events = append([]*structs.TaskEvent(nil), st.Events...)
	tr.state = &cp
}

// restore decides how Run begins for a task an earlier agent ran. done
// means the task had already finished: there is nothing to run. A non-nil
// resume is Run's first run instead of a start: it follows the recovered
// driver task, or reports the task lost so the restart policy applies.
// A task without a handle (not started yet, or between two runs) starts
// as usual.
func (tr *TaskRunner) restore() (resume func() (restarts.Outcome, bool), done bool) {
	st, h := tr.cfg.RestoredState, tr.cfg.RestoredHandle
	if st == nil {
		return nil, false
	}
	if st.State == structs.TaskStateDead {
		return nil, true
	}
	if h == nil || h.Config == nil || h.Config.ID == "" {
		return nil, false
	}
	taskID := h.Config.ID
	if err := tr.cfg.Driver.RecoverTask(h); err != nil {
		tr.logger.Warn("task lost while the agent was down", "task_id", taskID, "error", err)
		return func() (restarts.Outcome, bool) {
			tr.persistHandle(nil)
			// Not FailsTask: like any unsuccessful exit, the restart
			// policy decides whether the task fails.
			ev := newEvent(structs.TaskRestoreFailed, lostAfterRestart)
			ev.Message = err.Error()
			ev.Details["restore_error"] = err.Error()
			tr.emit(ev)
			return restarts.Outcome{}, false
		}, false
	}
	tr.logger.Info("recovered task", "task_id", taskID)
	if st.State != structs.TaskStateRunning {
		// Persisted before the running state reached disk.
		tr.update(func(s *structs.TaskState) {
			s.State = structs.TaskStateRunning
			if s.StartedAt.IsZero() {
				s.StartedAt = time.Now()
			}
		})
	}
	return func() (restarts.Outcome, bool) { return tr.wait(taskID) }, false
}
