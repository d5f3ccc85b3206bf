package taskproc

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

// Exit records how a task ended, once, for any number of waiters.
type Exit struct {
	// done is closed once result is set.
	done chan struct{}

	mu          sync.Mutex
	completedAt time.Time
	result      *sdk.ExitResult
}

// NewExit returns the record of a running task.
func NewExit() *Exit {
	return &Exit{done: make(chan struct{})}
}

// Done is closed when the task has exited.
func (e *Exit) Done() <-chan struct{} { return e.done }

// Exited reports whether Finish was called.
func (e *Exit) Exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// Finish records the result; the one goroutine that watches the task's
// process calls it exactly once.
func (e *Exit) Finish(res *sdk.ExitResult) {
	e.mu.Lock()
	e.result, e.completedAt = res, time.Now()
	e.mu.Unlock()
	close(e.done)
}

// Result is the exit result, nil while the task runs.
func (e *Exit) Result() *sdk.ExitResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.result
}

// Status is InspectTask's answer for the task.
func (e *Exit) Status(id, name string, startedAt time.Time) *sdk.TaskStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := &sdk.TaskStatus{
		ID:          id,
		Name:        name,
		State:       sdk.TaskStateRunning,
		StartedAt:   startedAt,
		CompletedAt: e.completedAt,
	}
	if e.result != nil {
		st.State = sdk.TaskStateExited
		r := *e.result
		st.ExitResult = &r
	}
	return st
}

// Wait yields the result on a fresh channel unless ctx ends first; the
// channel is closed either way.
func (e *Exit) Wait(ctx context.Context) <-chan *sdk.ExitResult {
	out := make(chan *sdk.ExitResult, 1)
	if e.Exited() {
		out <- e.Result()
		close(out)
		return out
	}
	go func() {
		defer close(out)
		select {
		case <-e.done:
			out <- e.Result()
		case <-ctx.Done():
		}
	}()
	return out
}

// ResultOf converts a reaped process's state. Shells report a death by
// signal N as 128+N; users and restart policies read exit codes that way.
func ResultOf(state *os.ProcessState) *sdk.ExitResult {
	res := &sdk.ExitResult{ExitCode: state.ExitCode()}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = int(ws.Signal())
		res.ExitCode = 128 + res.Signal
	}
	return res
}
