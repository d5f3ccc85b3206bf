package nomadlike

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Status serves the Status.* RPCs: who leads, and who the servers are.
type Status struct {
	srv *Server
}

// Leader returns the leader's RPC address, or "" while there is none.
func (s *Status) Leader(args *structs.GenericRequest, reply *structs.StatusLeaderResponse) error {
	countRPC(structs.StatusLeaderRPC)
	reply.Leader = s.srv.Leader()
	return nil
}

// Peers returns the RPC addresses of the Raft voters.
func (s *Status) Peers(args *structs.GenericRequest, reply *structs.StatusPeersResponse) error {
	countRPC(structs.StatusPeersRPC)
	future := s.srv.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return fmt.Errorf("status peers: %w", err)
	}
	for _, srv := range future.Configuration().Servers {
		reply.Peers = append(reply.Peers, string(srv.Address))
	}
	return nil
}
