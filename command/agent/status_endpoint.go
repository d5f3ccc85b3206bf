package agent

import (
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func (s *HTTPServer) statusLeader(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.GenericRequest
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.StatusLeaderResponse
	if err := s.rpc.RPC(structs.StatusLeaderRPC, &args, &out); err != nil {
		return nil, err
	}
	return out.Leader, nil
}

func (s *HTTPServer) statusPeers(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.GenericRequest
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.StatusPeersResponse
	if err := s.rpc.RPC(structs.StatusPeersRPC, &args, &out); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Peers), nil
}
