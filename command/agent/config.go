package agent

import (
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Default ports, as Nomad's.
const (
	DefaultHTTPPort = 4646
	DefaultRPCPort  = 4647
	DefaultSerfPort = 4648
)

var validLogLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}

// Config is the agent's effective configuration: defaults, then -dev,
// then config files in order, then flags.
type Config struct {
	Region     string
	Datacenter string
	// NodeName names this agent; empty means the hostname.
	NodeName string
	// DataDir holds Raft and client state; empty only in -dev, where state
	// lives in memory.
	DataDir  string
	BindAddr string
	LogLevel string
	DevMode  bool

	// PluginDir holds third-party driver plugins; empty means
	// <data_dir>/plugins (see EffectivePluginDir).
	PluginDir string

	Ports     Ports
	Addresses Addresses
	Advertise Addresses

	Server    ServerConfig
	Autopilot AutopilotConfig
	// LeaveOnInterrupt and LeaveOnTerm make a server leave the cluster
	// for good on SIGINT or SIGTERM (default false, as Nomad: a stopped
	// server stays a Raft voter, seen failed, until the dead-server
	// clean-up).
	LeaveOnInterrupt bool
	LeaveOnTerm      bool

	Client    ClientConfig
	DNS       DNSConfig
	Plugins   map[string]*PluginConfig
	Telemetry Telemetry

	// Files lists the config files loaded, in merge order.
	Files []string
}

// Ports are the agent's listening ports.
type Ports struct {
	HTTP int
	RPC  int
	Serf int
}

// Addresses override BindAddr (or advertise an address) per protocol.
type Addresses struct {
	HTTP string
	RPC  string
	Serf string
}

// ServerConfig is the server block.
type ServerConfig struct {
	Enabled         bool
	BootstrapExpect int
	RetryJoin       []string
	// RetryInterval caps the pause between join attempts (default 30s);
	// RetryMax stops after that many failed attempts (0: never).
	RetryInterval time.Duration
	RetryMax      int
	// Encrypt is the gossip encryption key, base64 of 16, 24 or 32 bytes.
	Encrypt string
	// NumSchedulers is how many scheduling workers run; 0 means one per CPU.
	NumSchedulers int
	// FailoverHeartbeatTTL is how long a new leader waits for each node's
	// first heartbeat before marking it down; 0 means the server's
	// default (5 minutes, as Nomad).
	FailoverHeartbeatTTL time.Duration
	// MinHeartbeatTTL is the shortest heartbeat TTL a node is given, and
	// HeartbeatGrace the slack added before a silent node is marked down;
	// 0 means the server's defaults (10s each, as Nomad). Lowering them
	// finds a dead client sooner at the cost of more heartbeats.
	MinHeartbeatTTL time.Duration
	HeartbeatGrace  time.Duration
	// RaftSnapshotThreshold is how many Raft entries since the last
	// snapshot trigger the next; 0 means the server's default (8192).
	RaftSnapshotThreshold int
	// RaftSnapshotInterval is how often Raft checks that threshold; 0
	// means the server's default (120s).
	RaftSnapshotInterval time.Duration
	// RaftTrailingLogs is how many entries a snapshot leaves in the log;
	// 0 means the server's default (10240).
	RaftTrailingLogs int
	// JobTrackedVersions is how many versions of each job are kept; 0
	// keeps the default (6).
	JobTrackedVersions int

	// DisableEventBroker turns /v1/event/stream off (Nomad's
	// enable_event_broker = false). EventBufferSize is how many Raft
	// indexes of events are kept for replay; 0 means 100.
	DisableEventBroker bool
	EventBufferSize    int
	// DefaultSchedulerConfig is the default_scheduler_config block: the
	// scheduler configuration the first leader stores when the cluster
	// has none; nil means Nomad's defaults.
	DefaultSchedulerConfig *structs.SchedulerConfiguration
	// Autoscaler is the server's autoscaler block (orch's own: Nomad runs
	// its autoscaler as a separate process).
	Autoscaler AutoscalerConfig
}

// AutoscalerConfig is `server { autoscaler { enabled, prometheus_address } }`.
type AutoscalerConfig struct {
	Disabled          bool
	PrometheusAddress string
}

// ClientConfig is the client block.
type ClientConfig struct {
	Enabled          bool
	Servers          []string
	NodeClass        string
	NodePool         string
	Meta             map[string]string
	NetworkInterface string
	MinDynamicPort   int
	MaxDynamicPort   int
	Reserved         Reserved
	// HostVolumes are the client's host_volume blocks by name: host
	// directories jobs may mount through a group volume block.
	HostVolumes map[string]*HostVolume
	// AutoscalingSampleInterval is autoscaling_sample_interval: how often
	// autoscaled allocations' usage is sent to the servers (0: 5s).
	AutoscalingSampleInterval time.Duration
	// LoadBalancer is the load_balancer block (see config_discovery.go).
	LoadBalancer LoadBalancerConfig
}

// HostVolume is a `host_volume "name" { path, read_only }` block.
type HostVolume struct {
	Path     string
	ReadOnly bool
}

// Reserved is held back from scheduling on the client's node.
type Reserved struct {
	CPU           int
	MemoryMB      int
	DiskMB        int
	ReservedPorts string
}

// PluginConfig is a `plugin "NAME" { config { ... } }` block.
type PluginConfig struct {
	Name   string
	Config map[string]interface{}
}

// Telemetry is the telemetry block.
type Telemetry struct {
	PrometheusMetrics bool
	DisableHostname   bool
}

// DefaultConfig is what an agent runs with before files and flags.
func DefaultConfig() *Config {
	return &Config{
		Region:     "global",
		Datacenter: "dc1",
		BindAddr:   "0.0.0.0",
		LogLevel:   "INFO",
		Ports:      Ports{HTTP: DefaultHTTPPort, RPC: DefaultRPCPort, Serf: DefaultSerfPort},
		Client: ClientConfig{
			NodePool:       "default",
			MinDynamicPort: 20000,
			MaxDynamicPort: 32000,
			LoadBalancer:   LoadBalancerConfig{Enabled: true},
		},
		DNS:       defaultDNS(),
		Plugins:   map[string]*PluginConfig{},
		Autopilot: AutopilotConfig{CleanupDeadServers: true},
	}
}

// applyDev turns on what -dev means: one process that is both server and
// client, on loopback, state in memory, raw_exec allowed.
func (c *Config) applyDev() {
	c.DevMode = true
	c.BindAddr = "127.0.0.1"
	c.LogLevel = "DEBUG"
	c.Server.Enabled = true
	c.Server.BootstrapExpect = 1
	c.Client.Enabled = true
	c.Plugins["raw_exec"] = &PluginConfig{Name: "raw_exec", Config: map[string]interface{}{"enabled": true}}
}

// Validate checks the merged configuration; each error names the setting
// and what would be valid.
func (c *Config) Validate() error {
	var errs []string
	add := func(format string, args ...interface{}) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !c.Server.Enabled && !c.Client.Enabled {
		add("the agent must run a server, a client or both: set -server, -client or -dev")
	}
	if c.DataDir == "" && !c.DevMode {
		add("data_dir is required outside -dev mode: set -data-dir or data_dir")
	}
	if !slices.Contains(validLogLevels, strings.ToUpper(c.LogLevel)) {
		add("log_level %q is invalid: must be one of %s", c.LogLevel, strings.Join(validLogLevels, ", "))
	}
	for name, p := range map[string]int{"http": c.Ports.HTTP, "rpc": c.Ports.RPC, "serf": c.Ports.Serf} {
		if p < 0 || p > 65535 {
			add("ports.%s %d is invalid: must be between 0 and 65535", name, p)
		}
	}
	if net.ParseIP(c.BindAddr) == nil {
		add("bind_addr %q is invalid: must be an IP address", c.BindAddr)
	}
	if c.Server.BootstrapExpect < 0 {
		add("server.bootstrap_expect %d is invalid: must be 0 or more", c.Server.BootstrapExpect)
	}
	if c.Server.NumSchedulers < 0 {
		add("server.num_schedulers %d is invalid: must be 0 or more", c.Server.NumSchedulers)
	}
	if c.Server.RaftSnapshotThreshold < 0 {
		add("server.raft_snapshot_threshold %d is invalid: must be 0 (the default, 8192) or more", c.Server.RaftSnapshotThreshold)
	}
	if c.Server.JobTrackedVersions < 0 {
		add("server.job_tracked_versions %d is invalid: must be 0 (the default, 6) or more", c.Server.JobTrackedVersions)
	}
	if c.Server.RaftTrailingLogs < 0 {
		add("server.raft_trailing_logs %d is invalid: must be 0 (the default, 10240) or more", c.Server.RaftTrailingLogs)
	}
	if c.Server.EventBufferSize < 0 {
		add("server.event_buffer_size %d is invalid: must be 0 (the default, 100) or more", c.Server.EventBufferSize)
	}
	c.validateGossip(add)
	if c.Client.Enabled && !c.Server.Enabled && len(c.Client.Servers) == 0 {
		add("client.servers is required when this agent runs no server: set -servers or client { servers = [...] }")
	}
	c.Client.validate(add)
	c.validateDiscovery(add)
	if len(errs) > 0 {
		return fmt.Errorf("invalid agent configuration: %s", strings.Join(errs, "; "))
	}
	return nil
}

// EffectivePluginDir is where the client looks for third-party driver
// plugins: plugin_dir, or <dataDir>/plugins when unset. dataDir is the
// data directory actually used (a temporary one under -dev).
func (c *Config) EffectivePluginDir(dataDir string) string {
	if c.PluginDir != "" {
		return c.PluginDir
	}
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "plugins")
}

// addr returns the address to listen on for one protocol.
func (c *Config) addr(override string, port int) string {
	host := c.BindAddr
	if override != "" {
		host = override
	}
	return net.JoinHostPort(host, fmt.Sprint(port))
}

// HTTPAddr is where the HTTP API listens.
func (c *Config) HTTPAddr() string { return c.addr(c.Addresses.HTTP, c.Ports.HTTP) }

// RPCAddr is where the RPC server listens.
func (c *Config) RPCAddr() string { return c.addr(c.Addresses.RPC, c.Ports.RPC) }

// SerfAddr is where gossip listens.
func (c *Config) SerfAddr() string { return c.addr(c.Addresses.Serf, c.Ports.Serf) }

// validate checks the client block: the dynamic port range, the reserved
// ports and the host volumes. Paths are only checked for shape here; the
// client's fingerprint checks that they exist when it starts.
func (c *ClientConfig) validate(add func(format string, args ...interface{})) {
	lo, hi := c.MinDynamicPort, c.MaxDynamicPort
	for _, p := range []struct {
		name string
		v    int
	}{{"min_dynamic_port", lo}, {"max_dynamic_port", hi}} {
		if p.v < 1 || p.v > structs.MaxPort {
			add("client.%s %d is invalid: must be a port from 1 to %d", p.name, p.v, structs.MaxPort)
		}
	}
	if lo > hi {
		add("client.min_dynamic_port %d is above client.max_dynamic_port %d: the dynamic port range would be empty", lo, hi)
	}
	if _, err := structs.ParsePortSpec(c.Reserved.ReservedPorts); err != nil {
		add("client.reserved.reserved_ports %q is invalid: %v", c.Reserved.ReservedPorts, err)
	}
	for _, name := range slices.Sorted(maps.Keys(c.HostVolumes)) {
		v := c.HostVolumes[name]
		switch {
		case name == "":
			add("client.host_volume with an empty name: give the block a label, such as host_volume \"data\" { ... }")
		case v.Path == "":
			add("client.host_volume %q: path is required", name)
		case !filepath.IsAbs(v.Path):
			add("client.host_volume %q: path %q must be absolute", name, v.Path)
		}
	}
}
