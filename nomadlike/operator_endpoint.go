package nomadlike

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike/snapshot"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

const (
	// snapshotRestoreTimeout bounds how long a restore waits for Raft to
	// take it in; the copy into the snapshot store happens inside.
	snapshotRestoreTimeout = 2 * time.Minute
	// reassertTimeout bounds the wait for the leader's duties to restart
	// on the restored state.
	reassertTimeout = time.Minute
	// unknownNode names a peer whose node name this server cannot tell.
	unknownNode = "(unknown)"
)

// Operator serves the Operator.* RPCs: the Raft peer set and snapshots.
// All of them act on the leader, through forwarding.
type Operator struct {
	srv *Server
}

// RaftGetConfiguration lists the Raft peers: who leads, who votes.
func (op *Operator) RaftGetConfiguration(args *structs.GenericRequest, reply *structs.RaftConfigurationResponse) error {
	countRPC(structs.OperatorRaftGetConfigurationRPC)
	if handled, err := op.srv.forward(structs.OperatorRaftGetConfigurationRPC, args, args, reply); handled {
		return err
	}
	future := op.srv.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return fmt.Errorf("raft configuration: %w", err)
	}
	_, leaderID := op.srv.raft.LeaderWithID()
	for _, srv := range future.Configuration().Servers {
		reply.Servers = append(reply.Servers, &structs.RaftServer{
			ID:           string(srv.ID),
			Node:         op.srv.peerName(srv.ID),
			Address:      string(srv.Address),
			Leader:       srv.ID == leaderID,
			Voter:        srv.Suffrage == raft.Voter,
			RaftProtocol: raftProtocol,
		})
	}
	// Raft does not say at which index the configuration was written
	// (the future's Index is always 0), so report the log index it is
	// current as of: it covers every entry up to the last one.
	reply.Index = op.srv.raft.LastIndex()
	return nil
}

// RaftRemovePeer removes one peer, named by address or by ID, from the
// Raft configuration. It refuses the leader itself, which would leave the
// cluster leaderless until an election, and peers it does not know.
func (op *Operator) RaftRemovePeer(args *structs.RaftPeerRemoveRequest, reply *structs.GenericResponse) error {
	countRPC(structs.OperatorRaftRemovePeerRPC)
	if (args.Address == "") == (args.ID == "") {
		return fmt.Errorf("raft remove peer: %w: give exactly one of address or id", structs.ErrBadRequest)
	}
	if handled, err := op.srv.forward(structs.OperatorRaftRemovePeerRPC, args, args, reply); handled {
		return err
	}
	future := op.srv.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return fmt.Errorf("raft remove peer: %w", err)
	}
	var found *raft.Server
	for _, srv := range future.Configuration().Servers {
		if (args.ID != "" && string(srv.ID) == args.ID) || (args.Address != "" && string(srv.Address) == args.Address) {
			found = &srv
			break
		}
	}
	switch {
	case found == nil && args.ID != "":
		return fmt.Errorf("raft remove peer: %w: no peer with id %q in the raft configuration", structs.ErrNotFound, args.ID)
	case found == nil:
		return fmt.Errorf("raft remove peer: %w: no peer with address %q in the raft configuration", structs.ErrNotFound, args.Address)
	case found.ID == op.srv.raftID:
		return fmt.Errorf("raft remove peer: %w: %s (%s) is the leader; stop it or let another server take over leadership first",
			structs.ErrBadRequest, found.ID, found.Address)
	}
	op.srv.logger.Warn("removing raft peer", "peer_id", found.ID, "peer_address", found.Address)
	rm := op.srv.raft.RemoveServer(found.ID, 0, 0)
	if err := rm.Error(); err != nil {
		return fmt.Errorf("raft remove peer %s: %w", found.ID, err)
	}
	reply.Index = rm.Index()
	return nil
}

// SnapshotSave takes a Raft snapshot and returns it as an archive.
func (op *Operator) SnapshotSave(args *structs.SnapshotSaveRequest, reply *structs.SnapshotSaveResponse) error {
	countRPC(structs.OperatorSnapshotSaveRPC)
	if handled, err := op.srv.forward(structs.OperatorSnapshotSaveRPC, args, args, reply); handled {
		return err
	}
	var buf bytes.Buffer
	meta, err := op.srv.SaveSnapshot(&buf)
	if err != nil {
		return err
	}
	reply.Archive = buf.Bytes()
	reply.Index = meta.Index
	op.srv.setQueryMeta(&reply.QueryMeta)
	return nil
}

// SnapshotRestore replaces the cluster's state with an archive's.
func (op *Operator) SnapshotRestore(args *structs.SnapshotRestoreRequest, reply *structs.GenericResponse) error {
	countRPC(structs.OperatorSnapshotRestoreRPC)
	if len(args.Archive) == 0 {
		return fmt.Errorf("snapshot restore: %w: the request holds no archive", structs.ErrBadRequest)
	}
	if handled, err := op.srv.forward(structs.OperatorSnapshotRestoreRPC, args, args, reply); handled {
		return err
	}
	index, err := op.srv.RestoreSnapshot(bytes.NewReader(args.Archive))
	if err != nil {
		return err
	}
	reply.Index = index
	return nil
}

// SaveSnapshot has Raft take a snapshot of this server's state and
// writes it to w as an archive (package snapshot). It returns the
// snapshot's metadata. Any server can take one; callers that want the
// leader's state go through the RPC, which forwards.
func (s *Server) SaveSnapshot(w io.Writer) (*snapshot.Meta, error) {
	future := s.raft.Snapshot()
	if err := future.Error(); err != nil {
		return nil, fmt.Errorf("snapshot save: take raft snapshot: %w", err)
	}
	rmeta, rc, err := future.Open()
	if err != nil {
		return nil, fmt.Errorf("snapshot save: open raft snapshot: %w", err)
	}
	defer rc.Close()
	meta := snapshot.FromRaft(rmeta, time.Now())
	if err := snapshot.Write(w, meta, rc); err != nil {
		return nil, fmt.Errorf("snapshot save: %w", err)
	}
	s.logger.Info("snapshot saved", "snapshot_id", meta.ID, "index", meta.Index, "size", meta.Size)
	return meta, nil
}

// RestoreSnapshot replaces the cluster's state with the archive read from
// r. Leader only. The archive is checked completely (checksums, sizes, and
// a trial decode of the state) before Raft sees it, because Raft cannot
// back out of an FSM restore that fails halfway; a bad archive is refused
// with ErrBadRequest and changes nothing. Raft then installs the state on
// this server and ships it to the followers, and the leader's duties
// restart on it. It returns the Raft index the cluster moved on from.
func (s *Server) RestoreSnapshot(r io.Reader) (uint64, error) {
	if s.raft.State() != raft.Leader {
		return 0, fmt.Errorf("snapshot restore: this server is not the leader: %w", structs.ErrNoLeader)
	}
	var stateBuf bytes.Buffer
	meta, err := snapshot.Read(r, &stateBuf)
	if err != nil {
		if errors.Is(err, snapshot.ErrCorrupt) {
			return 0, fmt.Errorf("snapshot restore: %w: %w", structs.ErrBadRequest, err)
		}
		return 0, fmt.Errorf("snapshot restore: %w", err)
	}
	if err := checkSnapshotState(stateBuf.Bytes()); err != nil {
		return 0, fmt.Errorf("snapshot restore: %w: archive checksums match but its state cannot be read: %w",
			structs.ErrBadRequest, err)
	}
	logger := s.logger.With("snapshot_id", meta.ID, "snapshot_index", meta.Index)
	logger.Warn("restoring snapshot: the cluster state is being replaced")
	if err := s.raft.Restore(meta.RaftMeta(), &stateBuf, snapshotRestoreTimeout); err != nil {
		return 0, fmt.Errorf("snapshot restore: raft restore: %w", err)
	}
	// The broker, blocked evals and heartbeat timers still hold the old
	// state's work; rebuild them from the restored state.
	if err := s.reassertLeadership(); err != nil {
		return 0, fmt.Errorf("snapshot restore: state restored, but restarting the leader's duties failed: %w", err)
	}
	index := s.raft.LastIndex()
	logger.Info("snapshot restored", "raft_index", index)
	return index, nil
}

// checkSnapshotState decodes a persisted FSM state into a throwaway store,
// proving the FSM's Restore will accept it.
func checkSnapshotState(b []byte) error {
	scratch, err := state.NewStateStore(nil)
	if err != nil {
		return err
	}
	restore := scratch.Restore()
	defer restore.Abort()
	return decodeSnapshot(bytes.NewReader(b), restore)
}

// reassertLeadership asks the leadership monitor to stop and restart the
// leader's duties, and waits for its answer.
func (s *Server) reassertLeadership() error {
	errCh := make(chan error, 1)
	timeout := time.NewTimer(reassertTimeout)
	defer timeout.Stop()
	select {
	case s.reassertLeaderCh <- errCh:
	case <-timeout.C:
		return errors.New("timed out asking the leadership monitor to restart")
	case <-s.shutdownCh:
		return errors.New("server shutting down")
	}
	select {
	case err := <-errCh:
		return err
	case <-timeout.C:
		return errors.New("timed out waiting for the leader's duties to restart")
	case <-s.shutdownCh:
		return errors.New("server shutting down")
	}
}

// peerName is a Raft peer's node name: the gossip member name
// ("<name>.<region>") carried for its Raft ID, else for this server its
// configured name. Another peer gossip has never seen stays unknown.
func (s *Server) peerName(id raft.ServerID) string {
	if s.gossip != nil {
		for _, m := range s.gossip.servers() {
			if raft.ServerID(m.ID) == id {
				return m.Name
			}
		}
	}
	if id == s.raftID {
		return s.config.NodeName
	}
	return unknownNode
}
