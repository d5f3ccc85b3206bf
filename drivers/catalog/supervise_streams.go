package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/orch-dev/orch/drivers/sdk"
)

// WaitTask yields the task's exit even if its plugin dies meanwhile: the
// wait moves to the relaunched plugin, which recovered the task, or ends
// with ErrTaskLost if it could not.
func (s *Supervised) WaitTask(ctx context.Context, taskID string) (<-chan *sdk.ExitResult, error) {
	g := s.current()
	ch, err := g.inst.Driver.WaitTask(ctx, taskID)
	if err != nil && !died(g, err) {
		if lost := s.lostErr(taskID); lost != nil {
			return nil, fmt.Errorf("wait for task %q: %w: %w", taskID, sdk.ErrTaskNotFound, lost)
		}
		return nil, err
	}
	out := make(chan *sdk.ExitResult, 1)
	go func() {
		defer close(out)
		for {
			if ch != nil {
				var res *sdk.ExitResult
				select {
				case res = <-ch:
				case <-ctx.Done():
					return
				}
				if ctx.Err() != nil {
					return
				}
				if res != nil && !died(g, res.Err) {
					out <- res
					return
				}
			}
			if g = s.awaitNext(ctx, g); g == nil {
				return
			}
			if lost := s.lostErr(taskID); lost != nil {
				out <- &sdk.ExitResult{Err: lost}
				return
			}
			ch, err = g.inst.Driver.WaitTask(ctx, taskID)
			switch {
			case err == nil:
			case died(g, err):
				ch = nil
			default:
				out <- &sdk.ExitResult{Err: fmt.Errorf("wait for task %q after driver plugin restart: %w", taskID, err)}
				return
			}
		}
	}()
	return out, nil
}

// Fingerprint follows the current plugin's stream and, when its plugin
// dies, reports the driver unhealthy until the relaunched plugin's stream
// takes over, so no new work is placed on a node whose driver is down.
func (s *Supervised) Fingerprint(ctx context.Context) (<-chan *sdk.Fingerprint, error) {
	g := s.current()
	ch, err := g.inst.Driver.Fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan *sdk.Fingerprint, 1)
	send := func(fp *sdk.Fingerprint) bool {
		select {
		case out <- fp:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
		for {
			for fp := range ch {
				if !send(fp) {
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			// The stream ended without our asking: the plugin died, or
			// is about to be found dead. Either way the driver cannot take
			// work until a stream serves again.
			if !send(&sdk.Fingerprint{
				Health:            sdk.HealthStateUnhealthy,
				HealthDescription: "driver plugin stopped reporting; relaunching",
			}) {
				return
			}
			for {
				if g = s.awaitNext(ctx, g); g == nil {
					return
				}
				if ch, err = g.inst.Driver.Fingerprint(ctx); err == nil {
					break
				}
				if !died(g, err) && !errors.Is(err, context.Canceled) {
					s.logger.Warn("driver fingerprint failed after plugin restart", "error", err)
				}
			}
		}
	}()
	return out, nil
}
