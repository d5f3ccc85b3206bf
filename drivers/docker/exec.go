package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/orch-dev/orch/drivers/sdk"
)

var _ sdk.ExecTaskDriver = (*Driver)(nil)

// ExecTask runs cmd in the task's container through the engine's exec
// API (docker exec), for script checks.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*sdk.ExecTaskResult, error) {
	if len(cmd) == 0 {
		return nil, fmt.Errorf("docker: exec in task %q: empty command", taskID)
	}
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	if h.exited() {
		return nil, fmt.Errorf("docker: task %q has exited; cannot exec in it", taskID)
	}
	cli, _, err := d.client()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	created, err := cli.ContainerExecCreate(ctx, h.containerID, container.ExecOptions{
		Cmd: cmd, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, fmt.Errorf("docker: exec in container %s: %w", shortID(h.containerID), err)
	}
	attached, err := cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("docker: attach to exec in container %s: %w", shortID(h.containerID), err)
	}
	defer attached.Close()
	// The hijacked connection does not watch ctx: closing it ends the read
	// at the timeout (the command itself may run on in the container).
	stop := context.AfterFunc(ctx, attached.Close)
	defer stop()
	out := &sdk.ExecOutput{}
	if _, err := stdcopy.StdCopy(out, out, attached.Reader); err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("docker: read exec output: %w", err)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("docker: exec in container %s: %w", shortID(h.containerID), ctx.Err())
	}
	info, err := cli.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return nil, fmt.Errorf("docker: inspect exec in container %s: %w", shortID(h.containerID), err)
	}
	return &sdk.ExecTaskResult{Output: out.Bytes(), ExitCode: info.ExitCode}, nil
}
