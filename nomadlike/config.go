package nomadlike

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/hashicorp/go-hclog"

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

	// BootstrapExpect is how many servers form the cluster; only 1 is
	// supported so far (implied by DevMode).
	BootstrapExpect int

	// NumSchedulers is how many scheduling workers run (default the
	// number of CPUs; negative runs none, for tests of the endpoints).
	NumSchedulers int
	// SchedulerFactory builds schedulers for the workers (default
	// scheduler.NewScheduler); tests may pass their own.
	SchedulerFactory scheduler.Factory

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
		return nil, fmt.Errorf("config: BootstrapExpect %d: want 1", cfg.BootstrapExpect)
	case cfg.BootstrapExpect == 0:
		return nil, errors.New("config: BootstrapExpect 0: set it to 1 (joining servers is not supported yet)")
	case cfg.BootstrapExpect > 1:
		return nil, fmt.Errorf("config: BootstrapExpect %d: clusters of more than one server are not supported yet", cfg.BootstrapExpect)
	}
	switch {
	case cfg.NumSchedulers == 0:
		cfg.NumSchedulers = runtime.NumCPU()
	case cfg.NumSchedulers < 0:
		cfg.NumSchedulers = 0
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
	return &cfg, nil
}
