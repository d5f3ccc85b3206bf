package servicewatch

import (
	"context"
	"errors"
	"testing"
	"time"
)

// blockingRPC never answers until released, like a blocking query on a
// server with nothing new.
type blockingRPC struct{ release chan struct{} }

func (b blockingRPC) RPC(method string, args, reply interface{}) error {
	<-b.release
	return nil
}

// TestRPCCatalog_CancelEndsBlockingQuery: a stopping agent must not wait
// out a blocking query (it used to hang agent shutdown for minutes).
func TestRPCCatalog_CancelEndsBlockingQuery(t *testing.T) {
	rpc := blockingRPC{release: make(chan struct{})}
	defer close(rpc.release)
	cat := &RPCCatalog{RPC: rpc}
	cases := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"instances", func(ctx context.Context) error { _, _, err := cat.Instances(ctx, "default", "web", 5); return err }},
		{"services", func(ctx context.Context) error { _, _, err := cat.Services(ctx, 5); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- tc.call(ctx) }()
			cancel()
			select {
			case err := <-errc:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the call did not end when its context was cancelled")
			}
		})
	}
}
