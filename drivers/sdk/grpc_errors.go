package sdk

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// toStatus gives a driver error the gRPC code the client side maps back,
// so errors.Is(err, ErrTaskNotFound) holds on both sides of the boundary.
func toStatus(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrTaskNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	default:
		return status.Error(codes.Unknown, err.Error())
	}
}

// remoteError carries a driver's message verbatim, without gRPC's
// "rpc error: code = ... desc =" decoration, because it ends up in task
// events that users read.
type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }

// fromStatus is the inverse of toStatus. Transport failures (the plugin
// process died, the connection broke) keep their gRPC status so callers
// can tell them from a driver's own refusal.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.NotFound:
		return &remoteError{msg: st.Message(), kind: ErrTaskNotFound}
	case codes.Unknown:
		return &remoteError{msg: st.Message()}
	case codes.Canceled:
		return &remoteError{msg: st.Message(), kind: context.Canceled}
	case codes.DeadlineExceeded:
		return &remoteError{msg: st.Message(), kind: context.DeadlineExceeded}
	default:
		return fmt.Errorf("driver plugin rpc: %w", err)
	}
}
