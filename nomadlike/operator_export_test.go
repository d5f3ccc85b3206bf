package nomadlike

import (
	"time"

	"github.com/hashicorp/raft"
)

// RaftLogForTest reports the first and last index of the Raft log and how
// many snapshots the store holds, so tests can see compaction happen.
func RaftLogForTest(s *Server) (first, last uint64, snapshots int, err error) {
	if first, err = s.raftStores.logs.FirstIndex(); err != nil {
		return 0, 0, 0, err
	}
	if last, err = s.raftStores.logs.LastIndex(); err != nil {
		return 0, 0, 0, err
	}
	snaps, err := s.raftStores.snaps.List()
	return first, last, len(snaps), err
}

// AddNonvoterForTest adds a peer that never answers, so remove-peer has a
// peer other than the leader to remove.
func AddNonvoterForTest(s *Server, id, addr string) error {
	return s.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 5*time.Second).Error()
}
