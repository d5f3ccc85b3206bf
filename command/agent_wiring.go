package command

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/client"
	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/client/state"
	"github.com/orch-dev/orch/command/agent"
	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/jobspec"
	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// productionBackends wires the real server, client, drivers and jobspec
// parser into the agent. It lives here, not in command/agent, so the
// agent package can be tested without starting Raft or driver plugins.
func productionBackends() agent.Backends {
	return agent.Backends{
		NewServer:   newServer,
		NewClient:   newClient,
		DialServers: dialServers,
		Parser:      parseJobspec,
		// DNS and the load balancer start only once serviceCatalog
		// returns a catalog (agent_discovery.go).
		StartDiscovery: startDiscovery,
	}
}

// serviceCatalog is the service catalog the DNS server and the load
// balancer read: the servers' ServiceRegistration endpoints.
func serviceCatalog(rpc structs.RPCer, region string) servicewatch.Catalog {
	return &servicewatch.RPCCatalog{RPC: rpc, Region: region}
}

// parseJobspec parses the source of a /v1/jobs/parse request, its
// Variables (var-file content) giving the variables their values.
func parseJobspec(filename string, src, vars []byte) (*api.Job, error) {
	cfg := &jobspec.ParseConfig{Path: filename, Body: src}
	if vars != nil {
		cfg.VarContents = []jobspec.VarFileContent{{Name: "variables.hcl", Body: vars}}
	}
	return jobspec.ParseWithConfig(cfg)
}

func newServer(cfg *agent.Config, logger hclog.Logger) (agent.ServerBackend, error) {
	rpcAddr, err := net.ResolveTCPAddr("tcp", cfg.RPCAddr())
	if err != nil {
		return nil, fmt.Errorf("rpc address %q: %w", cfg.RPCAddr(), err)
	}
	sc := &nomadlike.Config{
		Logger:               logger,
		NodeName:             cfg.NodeName,
		Region:               cfg.Region,
		Datacenter:           cfg.Datacenter,
		DataDir:              cfg.DataDir,
		DevMode:              cfg.DevMode,
		RPCAddr:              rpcAddr,
		BootstrapExpect:      cfg.Server.BootstrapExpect,
		NumSchedulers:        cfg.Server.NumSchedulers,
		FailoverHeartbeatTTL: cfg.Server.FailoverHeartbeatTTL,
		MinHeartbeatTTL:      cfg.Server.MinHeartbeatTTL,
		HeartbeatGrace:       cfg.Server.HeartbeatGrace,
		// Negative values were refused by the agent config's Validate.
		RaftSnapshotThreshold: uint64(cfg.Server.RaftSnapshotThreshold),
		RaftSnapshotInterval:  cfg.Server.RaftSnapshotInterval,
		RaftTrailingLogs:      uint64(cfg.Server.RaftTrailingLogs),
		JobTrackedVersions:    cfg.Server.JobTrackedVersions,
		EventBufferSize:       cfg.Server.EventBufferSize,
	}
	if cfg.Server.DisableEventBroker {
		sc.EventBufferSize = -1
	}
	sc.DefaultSchedulerConfig = cfg.Server.DefaultSchedulerConfig
	sc.Autoscaler = nomadlike.AutoscalerConfig{Disabled: cfg.Server.Autoscaler.Disabled,
		PrometheusAddress: cfg.Server.Autoscaler.PrometheusAddress}
	if cfg.Advertise.RPC != "" {
		adv, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(cfg.Advertise.RPC, strconv.Itoa(cfg.Ports.RPC)))
		if err != nil {
			return nil, fmt.Errorf("advertise.rpc %q: %w", cfg.Advertise.RPC, err)
		}
		sc.RPCAdvertise = adv
	}
	if err := gossipConfig(cfg, sc); err != nil {
		return nil, err
	}
	return nomadlike.NewServer(sc)
}

// gossipConfig passes the agent's gossip, join and autopilot settings to
// the server: gossip listens on the serf address, and is advertised at
// advertise.serf when set.
func gossipConfig(cfg *agent.Config, sc *nomadlike.Config) error {
	bind, err := net.ResolveTCPAddr("tcp", cfg.SerfAddr())
	if err != nil {
		return fmt.Errorf("serf address %q: %w", cfg.SerfAddr(), err)
	}
	sc.Build = agent.Version
	sc.Gossip = nomadlike.GossipConfig{
		BindAddr:      bind,
		EncryptKey:    cfg.Server.Encrypt,
		RetryJoin:     cfg.Server.RetryJoin,
		RetryInterval: cfg.Server.RetryInterval,
		RetryMax:      cfg.Server.RetryMax,
		DefaultPort:   agent.DefaultSerfPort,
	}
	if cfg.Advertise.Serf != "" {
		adv, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(cfg.Advertise.Serf, strconv.Itoa(cfg.Ports.Serf)))
		if err != nil {
			return fmt.Errorf("advertise.serf %q: %w", cfg.Advertise.Serf, err)
		}
		sc.Gossip.Advertise = adv
	}
	sc.Autopilot = nomadlike.AutopilotConfig{
		DisableDeadServerCleanup: !cfg.Autopilot.CleanupDeadServers,
		DeadServerThreshold:      cfg.Autopilot.DeadServerCleanupThreshold,
	}
	return nil
}

// clientBackend is a client plus what the agent started for it: the state
// database, the supervised driver plugins and, in -dev, a throwaway data
// directory.
type clientBackend struct {
	*client.Client
	db      *state.DB
	plugins *catalog.Plugins
	devMode bool
	tempDir string
}

// Shutdown stops the client. Outside -dev the driver plugins stay up with
// their tasks, for the next agent to reattach to; a dev agent takes
// everything down.
func (c *clientBackend) Shutdown() error {
	var err error
	if c.Client != nil {
		err = c.Client.Shutdown()
	}
	return errors.Join(err, c.cleanup())
}

func (c *clientBackend) cleanup() error {
	var err error
	if c.plugins != nil {
		if c.devMode {
			c.plugins.Kill()
		} else {
			c.plugins.Detach()
		}
	}
	if c.db != nil {
		err = c.db.Close()
	}
	if c.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(c.tempDir))
	}
	return err
}

func newClient(cfg *agent.Config, logger hclog.Logger, rpc structs.RPCer) (agent.ClientBackend, error) {
	cb := &clientBackend{devMode: cfg.DevMode}
	dataDir := cfg.DataDir
	if dataDir == "" && cfg.DevMode {
		dir, err := os.MkdirTemp("", "orch-dev-")
		if err != nil {
			return nil, fmt.Errorf("dev data directory: %w", err)
		}
		dataDir, cb.tempDir = dir, dir
	}
	db, err := state.Open(filepath.Join(dataDir, "client", state.FileName), logger)
	if err != nil {
		_ = cb.cleanup()
		return nil, err
	}
	cb.db = db
	// The plugins come first: restoring the client's tasks needs them.
	cb.plugins, err = catalog.Load(catalog.LoadConfig{
		Logger:    logger,
		Store:     db,
		PluginDir: cfg.EffectivePluginDir(dataDir),
		Config:    pluginConfig(cfg),
	})
	if err != nil {
		_ = cb.cleanup()
		return nil, err
	}
	httpAddr := advertisedHTTPAddr(cfg, cfg.HTTPAddr())
	r := cfg.Client.Reserved
	c, err := client.NewClient(&client.Config{
		Logger:           logger,
		DataDir:          dataDir,
		StateDB:          db,
		NodeName:         cfg.NodeName,
		Datacenter:       cfg.Datacenter,
		Region:           cfg.Region,
		NodeClass:        cfg.Client.NodeClass,
		NodePool:         cfg.Client.NodePool,
		Meta:             cfg.Client.Meta,
		HTTPAddr:         httpAddr,
		DevMode:          cfg.DevMode,
		Drivers:          cb.plugins.Drivers(),
		MinDynamicPort:   cfg.Client.MinDynamicPort,
		MaxDynamicPort:   cfg.Client.MaxDynamicPort,
		NetworkInterface: cfg.Client.NetworkInterface,
		Servers:          cfg.Client.Servers,
		Reserved: &structs.NodeReservedResources{
			Cpu:      structs.NodeReservedCpuResources{CpuShares: uint64(r.CPU)},
			Memory:   structs.NodeReservedMemoryResources{MemoryMB: uint64(r.MemoryMB)},
			Disk:     structs.NodeReservedDiskResources{DiskMB: uint64(r.DiskMB)},
			Networks: structs.NodeReservedNetworkResources{ReservedHostPorts: r.ReservedPorts},
		},
		HostVolumes:               hostVolumes(cfg.Client.HostVolumes),
		AutoscalingSampleInterval: cfg.Client.AutoscalingSampleInterval,
		RequestRates:              agentRates(cfg),
	}, rpc)
	if err != nil {
		_ = cb.cleanup()
		return nil, err
	}
	cb.Client = c
	return cb, nil
}

// hostVolumes turns the client's host_volume blocks into the node's form.
func hostVolumes(in map[string]*agent.HostVolume) map[string]*structs.ClientHostVolumeConfig {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]*structs.ClientHostVolumeConfig, len(in))
	for name, v := range in {
		out[name] = &structs.ClientHostVolumeConfig{Name: name, Path: v.Path, ReadOnly: v.ReadOnly}
	}
	return out
}

// pluginConfig hands each driver its `plugin "NAME" { config {} }` block;
// a driver decides itself whether that config enables it (raw_exec needs
// enabled = true).
func pluginConfig(cfg *agent.Config) func(name string) *sdk.PluginConfig {
	return func(name string) *sdk.PluginConfig {
		pc := &sdk.PluginConfig{DevMode: cfg.DevMode, Config: map[string]interface{}{}}
		if p := cfg.Plugins[name]; p != nil {
			pc.Config = p.Config
		}
		return pc
	}
}

// dialServers is the client's way to the servers named by -servers (or
// client { servers }): a client.Servers, which uses one server at a time,
// fails over to the others, and follows the server list the servers send
// back with each heartbeat.
func dialServers(servers []string, logger hclog.Logger) (structs.RPCer, error) {
	return client.NewServers(servers, agent.DefaultRPCPort, logger)
}

// advertisedHTTPAddr is where others reach this agent's HTTP API:
// advertise.http if set, else the bind address made routable. bound is
// the HTTP address with its port: the configured one before the listener
// is up, the listener's after (they differ when the port is 0).
func advertisedHTTPAddr(cfg *agent.Config, bound string) string {
	if cfg.Advertise.HTTP != "" {
		if _, port, err := net.SplitHostPort(bound); err == nil {
			return net.JoinHostPort(cfg.Advertise.HTTP, port)
		}
	}
	return routableAddr(bound)
}

// advertisedRPCAddr is the RPC address the server advertises:
// advertise.rpc if set, else the bind address.
func advertisedRPCAddr(cfg *agent.Config) string {
	if cfg.Advertise.RPC != "" {
		return net.JoinHostPort(cfg.Advertise.RPC, strconv.Itoa(cfg.Ports.RPC))
	}
	return cfg.RPCAddr()
}

// routableAddr replaces an unspecified host (bind 0.0.0.0) with this
// machine's first non-loopback address: other agents forward log requests
// to the HTTP address a node advertises, and 0.0.0.0 reaches nobody.
func routableAddr(hostPort string) string {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return hostPort
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return hostPort
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return hostPort
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return net.JoinHostPort(ipn.IP.String(), port)
		}
	}
	return net.JoinHostPort("127.0.0.1", port)
}
