package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
)

const (
	// killWait bounds how long a stop waits for the engine to report the
	// container gone after SIGKILL; longer means the engine is in trouble.
	killWait = 30 * time.Second
	// logDrainWait bounds how long destroy waits for the final output of
	// an exited container to reach the log files.
	logDrainWait = 5 * time.Second
	// retryMax caps the back-off of a wait or log stream whose connection
	// to the engine broke (an engine restart), retried until the task ends.
	retryMax = 10 * time.Second
)

// taskHandle tracks one container.
type taskHandle struct {
	id, name    string
	containerID string
	stopSignal  string
	startedAt   time.Time
	logger      hclog.Logger

	// ctx ends the wait and log goroutines when the task is destroyed.
	ctx    context.Context
	cancel context.CancelFunc
	// done is closed once result is set; logsDone once the log stream
	// has ended and its files are closed.
	done     chan struct{}
	logsDone chan struct{}

	mu          sync.Mutex
	completedAt time.Time
	result      *sdk.ExitResult
}

func newTaskHandle(cfg *sdk.TaskConfig, ds *driverState, logger hclog.Logger) *taskHandle {
	ctx, cancel := context.WithCancel(context.Background())
	return &taskHandle{
		id:          cfg.ID,
		name:        cfg.Name,
		containerID: ds.ContainerID,
		stopSignal:  ds.StopSignal,
		startedAt:   ds.StartedAt,
		logger:      logger,
		ctx:         ctx,
		cancel:      cancel,
		done:        make(chan struct{}),
		logsDone:    make(chan struct{}),
	}
}

// run starts the task's two goroutines: one waits for the container to
// exit, one copies its output into the log files (from since, or from the
// beginning when since is zero).
func (h *taskHandle) run(cli *client.Client, logs *taskLogs, since time.Time) {
	go h.waitContainer(cli)
	if logs == nil {
		close(h.logsDone)
		return
	}
	go func() {
		defer close(h.logsDone)
		logs.follow(h.ctx, cli, h.containerID, since, h.logger)
	}()
}

func (h *taskHandle) exited() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func (h *taskHandle) finish(res *sdk.ExitResult, at time.Time) {
	h.mu.Lock()
	h.result, h.completedAt = res, at
	h.mu.Unlock()
	close(h.done)
}

func (h *taskHandle) exitResult() *sdk.ExitResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.result
}

// waitContainer blocks in the engine's wait API until the container
// stops. A broken connection (engine restart) is retried; the container
// disappearing behind orch's back ends the task with an error.
func (h *taskHandle) waitContainer(cli *client.Client) {
	backoff := 250 * time.Millisecond
	for {
		respCh, errCh := cli.ContainerWait(h.ctx, h.containerID, container.WaitConditionNotRunning)
		select {
		case resp := <-respCh:
			h.exitedWith(cli, resp)
			return
		case err := <-errCh:
			if h.ctx.Err() != nil {
				return
			}
			if cerrdefs.IsNotFound(err) {
				h.logger.Warn("container removed outside orch")
				h.finish(&sdk.ExitResult{ExitCode: -1, Err: errors.New("docker: container was removed outside orch")}, time.Now())
				return
			}
			h.logger.Warn("waiting for container failed, retrying", "error", err, "backoff", backoff)
		}
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, retryMax)
	}
}

// exitedWith records the container's exit. The wait API gives only the
// status code; inspect tells an OOM kill from any other SIGKILL.
func (h *taskHandle) exitedWith(cli *client.Client, resp container.WaitResponse) {
	res := &sdk.ExitResult{ExitCode: int(resp.StatusCode)}
	if resp.Error != nil && resp.Error.Message != "" {
		res.Err = fmt.Errorf("docker: waiting for container: %s", resp.Error.Message)
	}
	completedAt := time.Now()
	ctx, cancel := context.WithTimeout(h.ctx, apiTimeout)
	defer cancel()
	if info, err := cli.ContainerInspect(ctx, h.containerID); err != nil {
		h.logger.Warn("inspecting exited container failed; an OOM kill would go unreported", "error", err)
	} else if info.State != nil {
		res.OOMKilled = info.State.OOMKilled
		if t, err := time.Parse(time.RFC3339Nano, info.State.FinishedAt); err == nil && !t.IsZero() && t.Year() > 1 {
			completedAt = t
		}
	}
	h.logger.Debug("container exited", "exit_code", res.ExitCode, "oom_killed", res.OOMKilled)
	h.finish(res, completedAt)
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

// signal delivers sig to the container's main process.
func (h *taskHandle) signal(cli *client.Client, sig string) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if err := cli.ContainerKill(ctx, h.containerID, sig); err != nil {
		if cerrdefs.IsConflict(err) || cerrdefs.IsNotFound(err) {
			return fmt.Errorf("docker: task %q has exited; cannot signal it", h.id)
		}
		return fmt.Errorf("docker: signal %s to task %q: %w", sig, h.id, err)
	}
	return nil
}

// stop sends sig (the image's STOPSIGNAL, else SIGTERM, when empty), waits
// up to timeout, then kills. The engine's own stop call is not used: it
// takes whole seconds and, before API 1.42, no signal.
func (h *taskHandle) stop(cli *client.Client, sig string, timeout time.Duration) error {
	if h.exited() {
		return nil
	}
	if sig == "" {
		sig = h.stopSignal
	}
	if sig == "" {
		sig = "SIGTERM"
	}
	h.logger.Debug("stopping container", "signal", sig, "timeout", timeout)
	if err := h.kill(cli, sig); err != nil {
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-h.done:
		return nil
	case <-t.C:
	}
	h.logger.Debug("container did not stop in time, killing it", "timeout", timeout)
	if err := h.kill(cli, "SIGKILL"); err != nil {
		return err
	}
	select {
	case <-h.done:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("docker: task %q: container %s still running %s after SIGKILL", h.id, shortID(h.containerID), killWait)
	}
}

// kill is signal for stop: a container that exited meanwhile is stopped.
func (h *taskHandle) kill(cli *client.Client, sig string) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	err := cli.ContainerKill(ctx, h.containerID, sig)
	if err == nil || cerrdefs.IsConflict(err) || cerrdefs.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("docker: stop task %q: send %s: %w", h.id, sig, err)
}

// destroy removes the container, killing it if it still runs, and ends
// the handle's goroutines. An exited container's remaining output is
// drained into the log files first.
func (h *taskHandle) destroy(cli *client.Client) error {
	if h.exited() {
		select {
		case <-h.logsDone:
		case <-time.After(logDrainWait):
			h.logger.Warn("log stream still open after the container exited; destroying anyway")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	err := cli.ContainerRemove(ctx, h.containerID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: destroy task %q: remove container %s: %w", h.id, shortID(h.containerID), err)
	}
	h.cancel()
	<-h.logsDone
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
