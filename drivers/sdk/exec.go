package sdk

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/orch-dev/orch/drivers/sdk/proto"
)

// ErrExecNotSupported is returned by ExecTask for a driver that cannot run
// commands inside its tasks. It survives the gRPC boundary
// (codes.Unimplemented).
var ErrExecNotSupported = errors.New("the driver cannot run commands inside its tasks")

// ExecTaskDriver is implemented by drivers that can run a command inside
// a running task, as script checks need. It is optional: the gRPC client
// always has the method and answers ErrExecNotSupported for a plugin
// whose driver lacks it.
type ExecTaskDriver interface {
	// ExecTask runs cmd (argv) in the task's context (its filesystem,
	// namespaces, environment) and returns its combined output and exit
	// code, or an error when it could not run it. It gives up after
	// timeout. Called from the client's check goroutines, concurrently.
	ExecTask(taskID string, cmd []string, timeout time.Duration) (*ExecTaskResult, error)
}

// ExecTaskResult is what a command run by ExecTask produced.
type ExecTaskResult struct {
	Output   []byte
	ExitCode int
}

var _ ExecTaskDriver = (*grpcClient)(nil)

func (c *grpcClient) ExecTask(taskID string, cmd []string, timeout time.Duration) (*ExecTaskResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	resp, err := c.client.ExecTask(ctx, &proto.ExecTaskRequest{TaskId: taskID, Cmd: cmd, TimeoutNs: int64(timeout)})
	if status.Code(err) == codes.Unimplemented {
		return nil, ErrExecNotSupported
	}
	if err != nil {
		return nil, fromStatus(err)
	}
	return &ExecTaskResult{Output: resp.Output, ExitCode: int(resp.ExitCode)}, nil
}

func (s *grpcServer) ExecTask(_ context.Context, req *proto.ExecTaskRequest) (*proto.ExecTaskResponse, error) {
	ed, ok := s.impl.(ExecTaskDriver)
	if !ok {
		return nil, status.Error(codes.Unimplemented, ErrExecNotSupported.Error())
	}
	res, err := ed.ExecTask(req.TaskId, req.Cmd, time.Duration(req.TimeoutNs))
	if errors.Is(err, ErrExecNotSupported) {
		return nil, status.Error(codes.Unimplemented, err.Error())
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &proto.ExecTaskResponse{Output: res.Output, ExitCode: int32(res.ExitCode)}, nil
}

// MaxExecOutput bounds what a driver keeps of an ExecTask command's
// output, so a chatty script check cannot grow the plugin's memory.
const MaxExecOutput = 64 << 10

// ExecOutput collects an ExecTask command's stdout and stderr, keeping
// the first MaxExecOutput bytes and dropping the rest. Safe for
// concurrent writers.
type ExecOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *ExecOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := MaxExecOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Bytes returns a copy of what was kept.
func (b *ExecOutput) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
