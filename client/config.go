package client

import (
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/state"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// DefaultUpdateInterval is how often batched allocation updates are sent
// at most: short enough that `job run` sees tasks running promptly, long
// enough that hundreds of task events share a few RPCs.
const DefaultUpdateInterval = 200 * time.Millisecond

// Config configures a client.
type Config struct {
	Logger hclog.Logger
	// DataDir holds the client's state (<DataDir>/client) and the
	// allocation directories (<DataDir>/alloc/<alloc-id>).
	DataDir    string
	NodeName   string
	Datacenter string
	Region     string
	NodeClass  string
	NodePool   string
	Meta       map[string]string
	// HTTPAddr is the agent's advertised HTTP address, for the node record
	// and logs.
	HTTPAddr string
	// DevMode advertises loopback and kills tasks on Shutdown; outside
	// it tasks outlive the agent and are recovered by the next one.
	DevMode bool
	// StateDB is the client's state database; when nil the client opens
	// (and on Shutdown closes) <DataDir>/client/state.db itself. The
	// agent opens it first because driver plugin records live there too.
	StateDB *state.DB
	// Drivers are already launched and configured by the agent, by name.
	Drivers map[string]sdk.Driver
	// MinDynamicPort and MaxDynamicPort bound the ports the scheduler may
	// assign on this node.
	MinDynamicPort int
	MaxDynamicPort int
	Reserved       *structs.NodeReservedResources
	// HostVolumes are host directories offered to jobs by name; each
	// must exist when the client starts.
	HostVolumes map[string]*structs.ClientHostVolumeConfig
	// NetworkInterface pins the advertised address to one interface.
	NetworkInterface string
	// Servers are the server addresses the RPCer was built from, for logs.
	Servers []string
	// UpdateInterval batches allocation updates; DefaultUpdateInterval
	// when zero.
	UpdateInterval time.Duration
	// AutoscalingSampleInterval is how often the usage of allocations
	// whose group has a scaling block is sent to the servers for the
	// autoscaler (DefaultAutoscalingSampleInterval when zero; negative
	// turns sampling off).
	AutoscalingSampleInterval time.Duration
	// RequestRates, when set, gives requests per second per allocation
	// for the orch source's avg_rps query (alloc_metrics.go).
	RequestRates RequestRater
}

// withDefaults returns a copy of c with every unset option defaulted, or
// an error naming the option that is invalid.
func (c *Config) withDefaults() (*Config, error) {
	if c == nil {
		return nil, fmt.Errorf("client config is required")
	}
	cfg := *c
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("client config: data_dir is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.NodeName == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("client config: node name unset and hostname unknown: %w", err)
		}
		cfg.NodeName = host
	}
	if cfg.Datacenter == "" {
		cfg.Datacenter = "dc1"
	}
	if cfg.Region == "" {
		cfg.Region = structs.GlobalRegion
	}
	if cfg.NodePool == "" {
		cfg.NodePool = "default"
	}
	if cfg.MinDynamicPort == 0 {
		cfg.MinDynamicPort = structs.DefaultMinDynamicPort
	}
	if cfg.MaxDynamicPort == 0 {
		cfg.MaxDynamicPort = structs.DefaultMaxDynamicPort
	}
	if cfg.MinDynamicPort < 1 || cfg.MaxDynamicPort > 65535 || cfg.MinDynamicPort > cfg.MaxDynamicPort {
		return nil, fmt.Errorf("client config: dynamic port range %d-%d is invalid: it must lie within 1-65535 with min <= max",
			cfg.MinDynamicPort, cfg.MaxDynamicPort)
	}
	if cfg.UpdateInterval == 0 {
		cfg.UpdateInterval = DefaultUpdateInterval
	}
	if cfg.UpdateInterval < 0 {
		return nil, fmt.Errorf("client config: update interval %v is invalid: it must be positive", cfg.UpdateInterval)
	}
	if cfg.Reserved == nil {
		cfg.Reserved = &structs.NodeReservedResources{}
	}
	if _, err := structs.ParsePortSpec(cfg.Reserved.Networks.ReservedHostPorts); err != nil {
		return nil, fmt.Errorf("client config: reserved ports %q are invalid: %w", cfg.Reserved.Networks.ReservedHostPorts, err)
	}
	return &cfg, nil
}
