package taskrunner

import (
	"fmt"
	"strconv"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// maxEvents bounds a task's event history, as Nomad does: a service that
// restarts for weeks must not grow its state, and the Raft entries that
// carry it, without limit.
const maxEvents = 10

func newEvent(typ, msg string) *structs.TaskEvent {
	return &structs.TaskEvent{Type: typ, Time: time.Now().UnixNano(), DisplayMessage: msg, Details: map[string]string{}}
}

func terminatedEvent(code, signal int, errMsg string) *structs.TaskEvent {
	msg := fmt.Sprintf("Exit Code: %d", code)
	if signal != 0 {
		msg += fmt.Sprintf(", Signal: %d", signal)
	}
	if errMsg != "" {
		msg += fmt.Sprintf(", Exit Message: %q", errMsg)
	}
	ev := newEvent(structs.TaskTerminated, msg)
	ev.ExitCode, ev.Signal, ev.Message = code, signal, errMsg
	ev.Details["exit_code"] = strconv.Itoa(code)
	ev.Details["signal"] = strconv.Itoa(signal)
	return ev
}

func restartingEvent(delay time.Duration, reason string) *structs.TaskEvent {
	ev := newEvent(structs.TaskRestarting, fmt.Sprintf("Task restarting in %v", delay.Round(time.Millisecond)))
	ev.StartDelay, ev.RestartReason = int64(delay), reason
	ev.Details["start_delay"] = strconv.FormatInt(int64(delay), 10)
	ev.Details["restart_reason"] = reason
	return ev
}

func notRestartingEvent(reason string, fails bool) *structs.TaskEvent {
	ev := newEvent(structs.TaskNotRestarting, reason)
	ev.RestartReason, ev.FailsTask = reason, fails
	ev.Details["restart_reason"] = reason
	if fails {
		ev.Details["fails_task"] = "true"
	}
	return ev
}

func driverFailureEvent(err error) *structs.TaskEvent {
	ev := newEvent(structs.TaskDriverFailure, err.Error())
	ev.DriverError = err.Error()
	ev.Details["driver_error"] = err.Error()
	return ev
}

func killingEvent(timeout time.Duration) *structs.TaskEvent {
	ev := newEvent(structs.TaskKilling, fmt.Sprintf("Sent interrupt. Waiting %v before force killing", timeout))
	ev.KillTimeout = timeout
	ev.Details["kill_timeout"] = timeout.String()
	return ev
}

// LeaderDeadEvent is what the alloc runner passes to Kill on the other
// tasks when the group's leader task dies.
func LeaderDeadEvent() *structs.TaskEvent {
	return newEvent(structs.TaskLeaderDead, "Leader Task in Group dead")
}

// SiblingFailedEvent is what the alloc runner passes to Kill on the other
// tasks when one task fails.
func SiblingFailedEvent(task string) *structs.TaskEvent {
	ev := newEvent(structs.TaskSiblingFailed, fmt.Sprintf("Task's sibling %q failed", task))
	ev.Details["failed_sibling"] = task
	return ev
}

// ShutdownDelayEvent says the task waits its shutdown_delay, its
// services already deregistered, before it is signalled.
func ShutdownDelayEvent(d time.Duration) *structs.TaskEvent {
	ev := newEvent(structs.TaskWaitingShutdownDelay, fmt.Sprintf("Services deregistered; waiting %v (shutdown_delay) before killing the task", d))
	ev.Details["shutdown_delay"] = d.String()
	return ev
}

// SkippingShutdownDelayEvent records that the task's services were
// deregistered and its shutdown_delay d skipped, as the stop asked.
func SkippingShutdownDelayEvent(d time.Duration) *structs.TaskEvent {
	ev := newEvent(structs.TaskSkippingShutdownDelay, fmt.Sprintf("Services deregistered; skipping the %v shutdown_delay as the stop asked", d))
	ev.Details["shutdown_delay"] = d.String()
	return ev
}
