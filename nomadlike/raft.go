package nomadlike

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/orch-dev/orch/nomadlike/pool"
)

// Nomad's defaults for when Raft snapshots and compacts its log.
const (
	DefaultRaftSnapshotThreshold = 8192
	DefaultRaftSnapshotInterval  = 120 * time.Second
	DefaultRaftTrailingLogs      = 10240
	// minRaftSnapshotInterval is the shortest interval Raft accepts.
	minRaftSnapshotInterval = 5 * time.Millisecond
)

// raftSnapshotDefaults fills the snapshot settings left zero and refuses
// an interval Raft would reject at start.
func (c *Config) raftSnapshotDefaults() error {
	if c.RaftSnapshotThreshold == 0 {
		c.RaftSnapshotThreshold = DefaultRaftSnapshotThreshold
	}
	if c.RaftTrailingLogs == 0 {
		c.RaftTrailingLogs = DefaultRaftTrailingLogs
	}
	switch {
	case c.RaftSnapshotInterval == 0:
		c.RaftSnapshotInterval = DefaultRaftSnapshotInterval
	case c.RaftSnapshotInterval < minRaftSnapshotInterval:
		return fmt.Errorf("config: RaftSnapshotInterval %s: want at least %s", c.RaftSnapshotInterval, minRaftSnapshotInterval)
	}
	return nil
}

const (
	raftSnapshotsRetained = 2
	raftLogCacheSize      = 512
	raftTransportPool     = 3
	raftTransportTimeout  = 10 * time.Second
)

// raftLayer is a raft.StreamLayer over the shared RPC listener: the RPC
// accept loop hands it the connections whose first byte is RPCRaft, and it
// dials other servers with that byte.
type raftLayer struct {
	addr    net.Addr
	connCh  chan net.Conn
	closeMu sync.Mutex
	closed  bool
	closeCh chan struct{}
}

var _ raft.StreamLayer = (*raftLayer)(nil)

func newRaftLayer(addr net.Addr) *raftLayer {
	return &raftLayer{addr: addr, connCh: make(chan net.Conn), closeCh: make(chan struct{})}
}

// handoff gives the layer a connection that asked for Raft; it closes the
// connection if the layer is shut down.
func (l *raftLayer) handoff(c net.Conn) {
	select {
	case l.connCh <- c:
	case <-l.closeCh:
		c.Close()
	}
}

// Accept waits for the next Raft connection.
func (l *raftLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.connCh:
		return c, nil
	case <-l.closeCh:
		return nil, errors.New("raft layer closed")
	}
}

// Close stops Accept; the shared listener stays open for RPC.
func (l *raftLayer) Close() error {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.closeCh)
	}
	return nil
}

// Addr is the advertised RPC address, which is also Raft's.
func (l *raftLayer) Addr() net.Addr { return l.addr }

// Dial connects to another server's RPC port and selects Raft.
func (l *raftLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, fmt.Errorf("raft dial %s: %w", address, err)
	}
	if _, err := conn.Write([]byte{byte(pool.RPCRaft)}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("raft dial %s: select protocol: %w", address, err)
	}
	return conn, nil
}

// raftStores are the stores Raft persists to, and what closes them.
type raftStores struct {
	logs   raft.LogStore
	stable raft.StableStore
	snaps  raft.SnapshotStore
	close  func() error
}

// openRaftStores opens boltdb and file snapshots under
// <data_dir>/server/raft, or memory stores in dev mode.
func openRaftStores(cfg *Config) (*raftStores, error) {
	logger := cfg.Logger.Named("raft")
	if cfg.DevMode {
		mem := raft.NewInmemStore()
		return &raftStores{logs: mem, stable: mem, snaps: raft.NewInmemSnapshotStore(), close: func() error { return nil }}, nil
	}
	dir := filepath.Join(cfg.DataDir, "server", "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("raft: create %s: %w", dir, err)
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("raft: open log store: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, raftSnapshotsRetained, logger)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("raft: open snapshot store: %w", err)
	}
	cache, err := raft.NewLogCache(raftLogCacheSize, bolt)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("raft: log cache: %w", err)
	}
	return &raftStores{logs: cache, stable: bolt, snaps: snaps, close: bolt.Close}, nil
}

// serverID returns this server's Raft ID: random in dev mode, otherwise
// kept in <data_dir>/server/node-id so it survives restarts.
func serverID(cfg *Config) (string, error) {
	if cfg.DevMode {
		return uuid.NewString(), nil
	}
	path := filepath.Join(cfg.DataDir, "server", "node-id")
	if b, err := os.ReadFile(path); err == nil {
		id := strings.TrimSpace(string(b))
		if _, err := uuid.Parse(id); err != nil {
			return "", fmt.Errorf("raft: %s holds %q, not a UUID: fix or remove it", path, id)
		}
		return id, nil
	} else if !os.IsNotExist(err) {
		return "", fmt.Errorf("raft: read server ID: %w", err)
	}
	id := uuid.NewString()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("raft: create server dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(id), 0o600); err != nil {
		return "", fmt.Errorf("raft: write server ID: %w", err)
	}
	return id, nil
}

// raftConfig tunes Raft. A lone server elects itself once the election
// timeout passes, so short timeouts make a dev agent's first write fast;
// they are still well above the time a local fsync takes.
func raftConfig(cfg *Config, id string) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(id)
	rc.Logger = cfg.Logger.Named("raft")
	rc.ShutdownOnRemove = false
	// Batch entries that arrive together into one disk write and one FSM
	// hand-off: a plan, its eval updates and client updates often do.
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 256
	rc.SnapshotThreshold = cfg.RaftSnapshotThreshold
	rc.SnapshotInterval = cfg.RaftSnapshotInterval
	rc.TrailingLogs = cfg.RaftTrailingLogs
	if cfg.DevMode || cfg.BootstrapExpect == 1 {
		rc.HeartbeatTimeout = 100 * time.Millisecond
		rc.ElectionTimeout = 100 * time.Millisecond
		rc.LeaderLeaseTimeout = 50 * time.Millisecond
		rc.CommitTimeout = 5 * time.Millisecond
	}
	if cfg.RaftTune != nil {
		cfg.RaftTune(rc)
	}
	return rc
}

// setupRaft starts Raft over the shared listener. Without state yet, a
// lone server (BootstrapExpect 1) bootstraps itself at once; one of a
// larger cluster leaves that to bootstrapLoop, which waits for gossip to
// show the other servers. A server with state never bootstraps again.
func (s *Server) setupRaft() error {
	id, err := serverID(s.config)
	if err != nil {
		return err
	}
	stores, err := openRaftStores(s.config)
	if err != nil {
		return err
	}
	s.raftStores = stores
	s.raftTransport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  s.raftLayer,
		MaxPool: raftTransportPool,
		Timeout: raftTransportTimeout,
		Logger:  s.config.Logger.Named("raft_transport"),
	})
	rc := raftConfig(s.config, id)
	rc.NotifyCh = s.leaderNotifyCh

	hasState, err := raft.HasExistingState(stores.logs, stores.stable, stores.snaps)
	if err != nil {
		return fmt.Errorf("raft: check for existing state: %w", err)
	}
	switch {
	case hasState:
	case s.config.BootstrapExpect > 1:
		s.bootstrapPending = true
	case s.config.BootstrapExpect == 0:
		// As Nomad: a server without bootstrap_expect never bootstraps;
		// it joins by gossip and the cluster's leader adds it to Raft.
		s.logger.Info("bootstrap_expect is 0: waiting for an existing cluster's leader to add this server")
	default:
		configuration := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter,
			ID:       rc.LocalID,
			Address:  s.raftTransport.LocalAddr(),
		}}}
		if err := raft.BootstrapCluster(rc, stores.logs, stores.stable, stores.snaps, s.raftTransport, configuration); err != nil {
			return fmt.Errorf("raft: bootstrap: %w", err)
		}
	}
	r, err := raft.NewRaft(rc, s.fsm, stores.logs, stores.stable, stores.snaps, s.raftTransport)
	if err != nil {
		return fmt.Errorf("raft: start: %w", err)
	}
	s.raft = r
	s.raftID = rc.LocalID
	return nil
}

// refreshOwnAddress updates this server's address in the Raft
// configuration when it restarted on a different one (a new port, say);
// otherwise the peer list would advertise a dead address. Leader only.
func (s *Server) refreshOwnAddress() error {
	future := s.raft.GetConfiguration()
	if err := future.Error(); err != nil {
		return fmt.Errorf("raft: read configuration: %w", err)
	}
	want := s.raftTransport.LocalAddr()
	for _, srv := range future.Configuration().Servers {
		if srv.ID == s.raftID && srv.Address != want {
			s.logger.Info("updating own raft address", "old", srv.Address, "new", want)
			if err := s.raft.AddVoter(s.raftID, want, 0, 0).Error(); err != nil {
				return fmt.Errorf("raft: update own address: %w", err)
			}
		}
	}
	return nil
}
