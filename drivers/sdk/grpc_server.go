package sdk

import (
	"context"
	"errors"
	"time"

	"github.com/orch-dev/orch/drivers/sdk/proto"
)

// grpcServer exposes a Driver as the gRPC service; it runs in the plugin
// process. Every stream handler hands stream.Context() to the driver, so a
// client that cancels (or dies) releases what the driver holds for it.
type grpcServer struct {
	proto.UnimplementedDriverServer
	impl Driver
}

var errStreamEnded = errors.New("driver closed the stream without a value")

func (s *grpcServer) PluginInfo(context.Context, *proto.PluginInfoRequest) (*proto.PluginInfoResponse, error) {
	info, err := s.impl.PluginInfo()
	if err != nil {
		return nil, toStatus(err)
	}
	return &proto.PluginInfoResponse{Name: info.Name, Version: info.Version}, nil
}

func (s *grpcServer) SetConfig(_ context.Context, req *proto.SetConfigRequest) (*proto.SetConfigResponse, error) {
	cfg, err := decodeConfig(req.ConfigMsgpack)
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.impl.SetConfig(&PluginConfig{Config: cfg, DevMode: req.DevMode}); err != nil {
		return nil, toStatus(err)
	}
	return &proto.SetConfigResponse{}, nil
}

func (s *grpcServer) Fingerprint(_ *proto.FingerprintRequest, stream proto.Driver_FingerprintServer) error {
	ctx := stream.Context()
	ch, err := s.impl.Fingerprint(ctx)
	if err != nil {
		return toStatus(err)
	}
	if err := stream.Send(&proto.FingerprintResponse{}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return toStatus(ctx.Err())
		case fp, ok := <-ch:
			if !ok {
				return nil
			}
			if err := stream.Send(&proto.FingerprintResponse{Fingerprint: fingerprintToProto(fp)}); err != nil {
				return err
			}
		}
	}
}

func (s *grpcServer) StartTask(_ context.Context, req *proto.StartTaskRequest) (*proto.StartTaskResponse, error) {
	cfg, err := taskConfigFromProto(req.Task)
	if err != nil {
		return nil, toStatus(err)
	}
	h, err := s.impl.StartTask(cfg)
	if err != nil {
		return nil, toStatus(err)
	}
	ph, err := taskHandleToProto(h)
	if err != nil {
		return nil, toStatus(err)
	}
	return &proto.StartTaskResponse{Handle: ph}, nil
}

func (s *grpcServer) WaitTask(req *proto.WaitTaskRequest, stream proto.Driver_WaitTaskServer) error {
	ctx := stream.Context()
	ch, err := s.impl.WaitTask(ctx, req.TaskId)
	if err != nil {
		return toStatus(err)
	}
	if err := stream.Send(&proto.WaitTaskResponse{}); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return toStatus(ctx.Err())
	case res, ok := <-ch:
		if !ok {
			if ctx.Err() != nil {
				return toStatus(ctx.Err())
			}
			return toStatus(errStreamEnded)
		}
		return stream.Send(&proto.WaitTaskResponse{Result: exitResultToProto(res)})
	}
}

func (s *grpcServer) StopTask(_ context.Context, req *proto.StopTaskRequest) (*proto.StopTaskResponse, error) {
	err := s.impl.StopTask(req.TaskId, time.Duration(req.TimeoutNanos), req.Signal)
	if err != nil {
		return nil, toStatus(err)
	}
	return &proto.StopTaskResponse{}, nil
}

func (s *grpcServer) DestroyTask(_ context.Context, req *proto.DestroyTaskRequest) (*proto.DestroyTaskResponse, error) {
	if err := s.impl.DestroyTask(req.TaskId, req.Force); err != nil {
		return nil, toStatus(err)
	}
	return &proto.DestroyTaskResponse{}, nil
}

func (s *grpcServer) InspectTask(_ context.Context, req *proto.InspectTaskRequest) (*proto.InspectTaskResponse, error) {
	st, err := s.impl.InspectTask(req.TaskId)
	if err != nil {
		return nil, toStatus(err)
	}
	return &proto.InspectTaskResponse{
		Id:                   st.ID,
		Name:                 st.Name,
		State:                string(st.State),
		StartedAtUnixNanos:   unixNanos(st.StartedAt),
		CompletedAtUnixNanos: unixNanos(st.CompletedAt),
		ExitResult:           exitResultToProto(st.ExitResult),
	}, nil
}

func (s *grpcServer) TaskStats(req *proto.TaskStatsRequest, stream proto.Driver_TaskStatsServer) error {
	ctx := stream.Context()
	ch, err := s.impl.TaskStats(ctx, req.TaskId, time.Duration(req.IntervalNanos))
	if err != nil {
		return toStatus(err)
	}
	if err := stream.Send(&proto.TaskStatsResponse{}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return toStatus(ctx.Err())
		case u, ok := <-ch:
			if !ok {
				return nil
			}
			if err := stream.Send(&proto.TaskStatsResponse{Usage: usageToProto(u)}); err != nil {
				return err
			}
		}
	}
}

func (s *grpcServer) SignalTask(_ context.Context, req *proto.SignalTaskRequest) (*proto.SignalTaskResponse, error) {
	if err := s.impl.SignalTask(req.TaskId, req.Signal); err != nil {
		return nil, toStatus(err)
	}
	return &proto.SignalTaskResponse{}, nil
}

func (s *grpcServer) RecoverTask(_ context.Context, req *proto.RecoverTaskRequest) (*proto.RecoverTaskResponse, error) {
	h, err := taskHandleFromProto(req.Handle)
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.impl.RecoverTask(h); err != nil {
		return nil, toStatus(err)
	}
	return &proto.RecoverTaskResponse{}, nil
}
