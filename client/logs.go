package client

import (
	"context"
	"fmt"
	"io"

	"github.com/orch-dev/orch/client/allocdir"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// StreamLogs writes a task's stdout or stderr ("stdout"|"stderr") to w,
// from offset bytes after the start or before the end (origin
// "start"|"end"). With follow it keeps sending new output until ctx is
// done or the task is dead and everything was sent. An unknown allocation
// or task is an error wrapping structs.ErrNotFound; a bad type, origin or
// offset is an error wrapping structs.ErrBadRequest.
func (c *Client) StreamLogs(ctx context.Context, allocID, task, logType, origin string, offset int64, follow bool, w io.Writer) error {
	ar := c.runner(allocID)
	if ar == nil {
		return fmt.Errorf("allocation %q: %w", allocID, structs.ErrNotFound)
	}
	if _, ok := ar.TaskDead(task); !ok {
		return fmt.Errorf("task %q in allocation %q: %w", task, allocID, structs.ErrNotFound)
	}
	req := allocdir.LogRequest{
		Dir:    ar.AllocDir().LogDir,
		Task:   task,
		Type:   logType,
		Origin: origin,
		Offset: offset,
		Follow: follow,
		Done: func() bool {
			dead, _ := ar.TaskDead(task)
			return dead
		},
	}
	if err := req.Validate(); err != nil {
		return fmt.Errorf("%w: %w", structs.ErrBadRequest, err)
	}
	return allocdir.StreamLogs(ctx, req, w)
}
