package agent

import (
	"context"
	"fmt"
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// AllocStatsReader samples the resource usage of an allocation this
// agent's client runs (client.Client implements it). The HTTP server looks
// for it on its LogStreamer, so a client or fake without it still serves
// logs; without it the stats endpoint answers 501.
type AllocStatsReader interface {
	// AllocStats returns one sample of each running task, taking up to a
	// few seconds. An allocation the client does not run is an error
	// wrapping structs.ErrNotFound.
	AllocStats(ctx context.Context, allocID string) (*structs.AllocResourceUsage, error)
}

// allocStats serves Nomad's GET /v1/client/allocation/{id}/stats from the
// client of the allocation's node: this agent's own, or the one at the
// node's advertised address, as log requests are.
func (s *HTTPServer) allocStats(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	alloc, err := s.lookupAlloc(r, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if s.logs == nil || s.logs.NodeID() != alloc.NodeID {
		return nil, s.forwardToNode(w, r, alloc)
	}
	stats, ok := s.logs.(AllocStatsReader)
	if !ok {
		return nil, &codedError{code: http.StatusNotImplemented, msg: "this agent's client does not report resource usage"}
	}
	usage, err := stats.AllocStats(r.Context(), alloc.ID)
	if err != nil {
		return nil, fmt.Errorf("resource usage of allocation %s: %w", alloc.ID, err)
	}
	return usage, nil
}
