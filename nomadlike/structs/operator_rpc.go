package structs

// Operator RPCs: the Raft configuration and snapshots. Every one of them
// acts on the leader's view of the cluster.
const (
	// OperatorRaftGetConfigurationRPC lists the Raft peers
	// (GenericRequest, RaftConfigurationResponse).
	OperatorRaftGetConfigurationRPC = "Operator.RaftGetConfiguration"
	// OperatorRaftRemovePeerRPC removes one peer by address or ID
	// (RaftPeerRemoveRequest, GenericResponse).
	OperatorRaftRemovePeerRPC = "Operator.RaftRemovePeer"
	// OperatorSnapshotSaveRPC takes a Raft snapshot and returns it as an
	// archive (SnapshotSaveRequest, SnapshotSaveResponse).
	OperatorSnapshotSaveRPC = "Operator.SnapshotSave"
	// OperatorSnapshotRestoreRPC replaces the cluster's state with an
	// archive's (SnapshotRestoreRequest, GenericResponse).
	OperatorSnapshotRestoreRPC = "Operator.SnapshotRestore"
)

// RaftServer is one peer in the Raft configuration, in Nomad's shape.
type RaftServer struct {
	// ID is the peer's Raft server ID.
	ID string
	// Node is the server's node name, "(unknown)" when this server
	// cannot tell it.
	Node string
	// Address is the peer's Raft (and RPC) address.
	Address      string
	Leader       bool
	Voter        bool
	RaftProtocol string
}

// RaftConfigurationResponse is the Raft configuration and the log index
// it was committed at.
type RaftConfigurationResponse struct {
	Servers []*RaftServer
	Index   uint64
}

// RaftPeerRemoveRequest names the peer to remove: exactly one of Address
// and ID is set.
type RaftPeerRemoveRequest struct {
	Address string
	ID      string
	WriteRequest
}

// SnapshotSaveRequest asks for a snapshot; with AllowStale any server may
// take it from its own state instead of the leader.
type SnapshotSaveRequest struct {
	QueryOptions
}

// SnapshotSaveResponse carries the whole archive (see package
// nomadlike/snapshot); Index is the Raft index the snapshot is current to.
type SnapshotSaveResponse struct {
	Archive []byte
	QueryMeta
}

// SnapshotRestoreRequest carries an archive to restore.
type SnapshotRestoreRequest struct {
	Archive []byte
	WriteRequest
}
