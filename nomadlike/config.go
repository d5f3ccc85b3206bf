package nomadlike

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// Config configures a Server. Zero values take the defaults noted.
type Config struct {
	Logger hclog.Logger

	// NodeName names the server (default: the host name).
	NodeName   string
	Region     string // default "global"
	Datacenter string // default "dc1"

	// DataDir holds Raft's log and snapshots under server/raft; required
	// unless DevMode.
	DataDir string
	// DevMode keeps Raft in memory and bootstraps a single server.
	DevMode bool

	// RPCAddr is where to listen for RPC and Raft; port 0 picks a free
	// port. Default 127.0.0.1:4647.
	RPCAddr *net.TCPAddr
	// RPCAdvertise is the address other servers and clients reach this
	// one at; default the bound address.
	RPCAdvertise *net.TCPAddr

	// BootstrapExpect is how many servers form the cluster (1 in
	// DevMode). With more than one, a server without Raft state waits
	// until gossip shows that many servers of its region, then bootstraps
	// Raft with them.
	BootstrapExpect int

	// Gossip configures server membership; see GossipConfig.
	Gossip GossipConfig
	// Autopilot configures the leader's clean-up of dead servers.
	Autopilot AutopilotConfig
	// Build is the version this server reports in its gossip tags.
	Build string
	// RaftTune, when set, adjusts the Raft configuration last; tests use
	// it for short timeouts.
	RaftTune func(*raft.Config)

	// NumSchedulers is how many scheduling workers run (default the
	// number of CPUs; negative runs none, for tests of the endpoints).
	NumSchedulers int
	// SchedulerFactory builds schedulers for the workers (default
	// scheduler.NewScheduler); tests may pass their own.
	SchedulerFactory scheduler.Factory

	// Clock drives periodic launches and job submit times (default the
	// wall clock); tests pass a fake one.
	Clock Clock
	// DefaultSchedulerConfig is the scheduler configuration the first
	// leader stores when the cluster has none (nil: Nomad's defaults,
	// structs.DefaultSchedulerConfig). Later changes go through the
	// Operator.SchedulerSetConfiguration RPC.
	DefaultSchedulerConfig *structs.SchedulerConfiguration
	// Autoscaler configures the built-in autoscaler (autoscaler.go).
	Autoscaler AutoscalerConfig

	// HeartbeatGrace is added to a node's TTL before it is marked down.
	HeartbeatGrace time.Duration
	// MinHeartbeatTTL is the shortest TTL given to a node.
	MinHeartbeatTTL time.Duration
	// FailoverHeartbeatTTL is the timer a new leader arms for every node
	// it inherits, so clients have time to find it before they are
	// marked down (default DefaultFailoverHeartbeatTTL).
	FailoverHeartbeatTTL time.Duration
	// EvalNackTimeout is how long a worker may hold an evaluation without
	// progress before it is redelivered.
	EvalNackTimeout time.Duration
	// EvalDeliveryLimit is how many deliveries an evaluation gets before
	// it fails.
	EvalDeliveryLimit int

	// RaftSnapshotThreshold is how many Raft entries since the last
	// snapshot make Raft take the next one (default 8192, as Nomad).
	RaftSnapshotThreshold uint64
	// RaftSnapshotInterval is how often Raft checks the threshold; each
	// check waits a random time between one and two intervals (default
	// 120s).
	RaftSnapshotInterval time.Duration
	// RaftTrailingLogs is how many entries a snapshot leaves in the log,
	// so a follower slightly behind catches up from the log rather than
	// a whole snapshot (default 10240).
	RaftTrailingLogs uint64
	// JobTrackedVersions is how many versions of each job are kept for
	// history and revert (default 6, Nomad's job_tracked_versions).
	JobTrackedVersions int

	// FailedEvalUnblockInterval is how often the leader re-enqueues
	// evaluations blocked by plan conflicts (default one minute).
	FailedEvalUnblockInterval time.Duration
	// EventBufferSize is how many Raft indexes' worth of events the event
	// stream keeps for subscribers that ask for an earlier index
	// (default 100, as Nomad; negative disables the event stream).
	EventBufferSize int
}

// DefaultRPCPort is Nomad's RPC port.
const DefaultRPCPort = 4647

// withDefaults returns a copy of the config with defaults filled in, or an
// error naming the first unusable field.
func (c *Config) withDefaults() (*Config, error) {
	if c == nil {
		return nil, errors.New("config: missing server config")
	}
	cfg := *c
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.NodeName == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("config: NodeName not set and no host name: %w", err)
		}
		cfg.NodeName = host
	}
	if cfg.Region == "" {
		cfg.Region = "global"
	}
	if cfg.Datacenter == "" {
		cfg.Datacenter = "dc1"
	}
	if !cfg.DevMode && cfg.DataDir == "" {
		return nil, errors.New("config: DataDir is required outside dev mode: Raft keeps its log there")
	}
	if cfg.RPCAddr == nil {
		cfg.RPCAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: DefaultRPCPort}
	}
	if cfg.DevMode && cfg.BootstrapExpect == 0 {
		cfg.BootstrapExpect = 1
	}
	switch {
	case cfg.BootstrapExpect < 0:
		return nil, fmt.Errorf("config: BootstrapExpect %d: want 1 for a single server, the number of servers of the cluster, or 0 to join an existing cluster", cfg.BootstrapExpect)
	case cfg.BootstrapExpect == 0 && cfg.Gossip.BindAddr == nil:
		return nil, fmt.Errorf("config: BootstrapExpect 0 joins an existing cluster, which needs gossip: set Gossip.BindAddr, or BootstrapExpect 1 for a single server")
	case cfg.BootstrapExpect > 1 && cfg.DevMode:
		return nil, fmt.Errorf("config: BootstrapExpect %d: dev mode runs a single server, want 1", cfg.BootstrapExpect)
	case cfg.BootstrapExpect > 1 && cfg.Gossip.BindAddr == nil:
		return nil, fmt.Errorf("config: BootstrapExpect %d needs gossip to find the other servers: set Gossip.BindAddr", cfg.BootstrapExpect)
	}
	if err := cfg.Gossip.withDefaults(); err != nil {
		return nil, err
	}
	cfg.Autopilot.withDefaults()
	if cfg.Build == "" {
		cfg.Build = "unknown"
	}
	switch {
	case cfg.NumSchedulers == 0:
		cfg.NumSchedulers = runtime.NumCPU()
	case cfg.NumSchedulers < 0:
		cfg.NumSchedulers = 0
	}
	if cfg.DefaultSchedulerConfig != nil {
		if err := cfg.DefaultSchedulerConfig.Validate(); err != nil {
			return nil, fmt.Errorf("config: DefaultSchedulerConfig: %w", err)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.SchedulerFactory == nil {
		cfg.SchedulerFactory = scheduler.NewScheduler
	}
	if cfg.HeartbeatGrace <= 0 {
		cfg.HeartbeatGrace = DefaultHeartbeatGrace
	}
	if cfg.MinHeartbeatTTL <= 0 {
		cfg.MinHeartbeatTTL = DefaultMinHeartbeatTTL
	}
	if cfg.FailoverHeartbeatTTL <= 0 {
		cfg.FailoverHeartbeatTTL = DefaultFailoverHeartbeatTTL
	}
	if cfg.EvalNackTimeout <= 0 {
		cfg.EvalNackTimeout = DefaultEvalNackTimeout
	}
	if cfg.EvalDeliveryLimit <= 0 {
		cfg.EvalDeliveryLimit = DefaultEvalDeliveryLimit
	}
	if err := cfg.raftSnapshotDefaults(); err != nil {
		return nil, err
	}
	cfg.streamDefaults()
	return &cfg, nil
}
