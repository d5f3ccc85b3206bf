package sdk

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/orch-dev/orch/drivers/sdk/proto"
)

// grpcClient is a Driver whose methods run in a plugin process. Callers
// cannot tell it from an in-process driver: errors keep their sentinel
// kinds and streams close when the caller's ctx is done.
type grpcClient struct {
	client proto.DriverClient
}

var _ Driver = (*grpcClient)(nil)

// NewGRPCClient returns a Driver that calls the driver service on conn.
// go-plugin calls it through DriverPlugin; tests may use it with any
// connection to a server registered by DriverPlugin.GRPCServer.
func NewGRPCClient(conn grpc.ClientConnInterface) Driver {
	return &grpcClient{client: proto.NewDriverClient(conn)}
}

func (c *grpcClient) PluginInfo() (*PluginInfo, error) {
	resp, err := c.client.PluginInfo(context.Background(), &proto.PluginInfoRequest{})
	if err != nil {
		return nil, fromStatus(err)
	}
	return &PluginInfo{Name: resp.Name, Version: resp.Version}, nil
}

func (c *grpcClient) SetConfig(cfg *PluginConfig) error {
	req := &proto.SetConfigRequest{}
	if cfg != nil {
		b, err := encodeConfig(cfg.Config)
		if err != nil {
			return fmt.Errorf("set config: %w", err)
		}
		req.ConfigMsgpack, req.DevMode = b, cfg.DevMode
	}
	_, err := c.client.SetConfig(context.Background(), req)
	return fromStatus(err)
}

func (c *grpcClient) Fingerprint(ctx context.Context) (<-chan *Fingerprint, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.client.Fingerprint(ctx, &proto.FingerprintRequest{})
	if err == nil {
		_, err = stream.Recv() // the server's acknowledgement
	}
	if err != nil {
		cancel()
		return nil, fromStatus(err)
	}
	out := make(chan *Fingerprint, 1)
	go func() {
		defer cancel()
		defer close(out)
		for {
			resp, err := stream.Recv()
			if err != nil || resp.Fingerprint == nil {
				return
			}
			select {
			case out <- fingerprintFromProto(resp.Fingerprint):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (c *grpcClient) StartTask(cfg *TaskConfig) (*TaskHandle, error) {
	pc, err := taskConfigToProto(cfg)
	if err != nil {
		return nil, fmt.Errorf("start task: %w", err)
	}
	resp, err := c.client.StartTask(context.Background(), &proto.StartTaskRequest{Task: pc})
	if err != nil {
		return nil, fromStatus(err)
	}
	h, err := taskHandleFromProto(resp.Handle)
	if err != nil {
		return nil, fmt.Errorf("start task: %w", err)
	}
	return h, nil
}

// WaitTask reports a broken plugin connection as an ExitResult with Err
// set, because the caller is blocked on the channel and has no other way
// to learn that the task's fate is now unknown.
func (c *grpcClient) WaitTask(ctx context.Context, taskID string) (<-chan *ExitResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.client.WaitTask(ctx, &proto.WaitTaskRequest{TaskId: taskID})
	if err == nil {
		_, err = stream.Recv() // the server's acknowledgement
	}
	if err != nil {
		cancel()
		return nil, fromStatus(err)
	}
	out := make(chan *ExitResult, 1)
	go func() {
		defer cancel()
		defer close(out)
		resp, err := stream.Recv()
		switch {
		case ctx.Err() != nil:
		case err != nil:
			out <- &ExitResult{Err: fmt.Errorf("wait for task %q: %w", taskID, fromStatus(err))}
		case resp.Result == nil:
			out <- &ExitResult{Err: fmt.Errorf("wait for task %q: %w", taskID, errStreamEnded)}
		default:
			out <- exitResultFromProto(resp.Result)
		}
	}()
	return out, nil
}

func (c *grpcClient) StopTask(taskID string, timeout time.Duration, signal string) error {
	_, err := c.client.StopTask(context.Background(), &proto.StopTaskRequest{
		TaskId: taskID, TimeoutNanos: int64(timeout), Signal: signal,
	})
	return fromStatus(err)
}

func (c *grpcClient) DestroyTask(taskID string, force bool) error {
	_, err := c.client.DestroyTask(context.Background(), &proto.DestroyTaskRequest{TaskId: taskID, Force: force})
	return fromStatus(err)
}

func (c *grpcClient) InspectTask(taskID string) (*TaskStatus, error) {
	resp, err := c.client.InspectTask(context.Background(), &proto.InspectTaskRequest{TaskId: taskID})
	if err != nil {
		return nil, fromStatus(err)
	}
	return &TaskStatus{
		ID:          resp.Id,
		Name:        resp.Name,
		State:       TaskState(resp.State),
		StartedAt:   fromUnixNanos(resp.StartedAtUnixNanos),
		CompletedAt: fromUnixNanos(resp.CompletedAtUnixNanos),
		ExitResult:  exitResultFromProto(resp.ExitResult),
	}, nil
}

func (c *grpcClient) TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *TaskResourceUsage, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.client.TaskStats(ctx, &proto.TaskStatsRequest{TaskId: taskID, IntervalNanos: int64(interval)})
	if err == nil {
		_, err = stream.Recv() // the server's acknowledgement
	}
	if err != nil {
		cancel()
		return nil, fromStatus(err)
	}
	out := make(chan *TaskResourceUsage, 1)
	go func() {
		defer cancel()
		defer close(out)
		for {
			resp, err := stream.Recv()
			if err != nil || resp.Usage == nil {
				return
			}
			select {
			case out <- usageFromProto(resp.Usage):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (c *grpcClient) SignalTask(taskID string, signal string) error {
	_, err := c.client.SignalTask(context.Background(), &proto.SignalTaskRequest{TaskId: taskID, Signal: signal})
	return fromStatus(err)
}

func (c *grpcClient) RecoverTask(handle *TaskHandle) error {
	ph, err := taskHandleToProto(handle)
	if err != nil {
		return fmt.Errorf("recover task: %w", err)
	}
	_, err = c.client.RecoverTask(context.Background(), &proto.RecoverTaskRequest{Handle: ph})
	return fromStatus(err)
}
