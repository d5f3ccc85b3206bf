package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

// ErrNotRunning is returned by Stats for a task the driver is not running
// now: not started yet, between restarts, or dead.
var ErrNotRunning = errors.New("task is not running")

func (tr *TaskRunner) setDriverTaskID(id string) {
	tr.mu.Lock()
	tr.driverTaskID = id
	tr.mu.Unlock()
}

// Stats streams the running task's resource usage from its driver every
// interval until ctx is done or the task exits. A restart ends the stream:
// the next run is a new task to the driver.
func (tr *TaskRunner) Stats(ctx context.Context, interval time.Duration) (<-chan *sdk.TaskResourceUsage, error) {
	tr.mu.Lock()
	id := tr.driverTaskID
	tr.mu.Unlock()
	if id == "" {
		return nil, ErrNotRunning
	}
	ch, err := tr.cfg.Driver.TaskStats(ctx, id, interval)
	if errors.Is(err, sdk.ErrTaskNotFound) {
		// It exited between the check and the call.
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, fmt.Errorf("task stats of %s: %w", tr.task.Name, err)
	}
	return ch, nil
}
