package client

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/allocrunner"
	"github.com/orch-dev/orch/client/fingerprint"
	"github.com/orch-dev/orch/client/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// shutdownFlushTimeout bounds how long a dev-mode Shutdown waits for the
// final task states to reach the servers.
const shutdownFlushTimeout = 2 * time.Second

// Client is a running node agent.
type Client struct {
	cfg      *Config
	logger   hclog.Logger
	rpc      structs.RPCer
	allocDir string
	// db persists allocations and tasks; ownDB says Shutdown closes it.
	db    *state.DB
	ownDB bool
	// svc holds the allocations' service hooks (alloc_services.go).
	svc serviceHooks

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	readyCh      chan struct{}
	readyOnce    sync.Once
	shutdownOnce sync.Once

	// node is the node record; nodeChanged asks the heartbeat loop to
	// register it again after a driver's fingerprint changed.
	nodeMu      sync.Mutex
	node        *structs.Node
	nodeChanged chan struct{}
	// driversSeen is closed once every driver reported a first fingerprint.
	driversSeen chan struct{}

	allocMu sync.RWMutex
	runners map[string]*allocrunner.AllocRunner
	// allocIndex is the AllocModifyIndex each allocation was last pulled at.
	allocIndex map[string]uint64

	updateMu sync.Mutex
	pending  map[string]*structs.Allocation
	updateCh chan struct{}
}

// NewClient fingerprints the node and starts the agent: registration,
// heartbeats, allocation watching and update batching run in the
// background until Shutdown. It fails only on bad configuration or a node
// it cannot fingerprint; unreachable servers are retried forever.
func NewClient(cfg *Config, rpc structs.RPCer) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if rpc == nil {
		return nil, fmt.Errorf("client: an RPCer is required")
	}
	stateDir := filepath.Join(cfg.DataDir, "client")
	allocDir := filepath.Join(cfg.DataDir, "alloc")
	for _, dir := range []string{stateDir, allocDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("client: create %s: %w", dir, err)
		}
	}
	id, secret, err := loadNodeIdentity(stateDir)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	logger := cfg.Logger.Named("client")
	fp, err := fingerprint.Detect(logger, fingerprint.Config{
		DataDir: cfg.DataDir, NetworkInterface: cfg.NetworkInterface, DevMode: cfg.DevMode,
		HostVolumes: cfg.HostVolumes,
	})
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	db, ownDB := cfg.StateDB, false
	if db == nil {
		if db, err = state.Open(filepath.Join(stateDir, state.FileName), cfg.Logger); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		ownDB = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:         cfg,
		logger:      logger,
		rpc:         rpc,
		allocDir:    allocDir,
		db:          db,
		ownDB:       ownDB,
		ctx:         ctx,
		cancel:      cancel,
		readyCh:     make(chan struct{}),
		node:        buildNode(cfg, id, secret, fp),
		nodeChanged: make(chan struct{}, 1),
		driversSeen: make(chan struct{}),
		runners:     make(map[string]*allocrunner.AllocRunner),
		allocIndex:  make(map[string]uint64),
		pending:     make(map[string]*structs.Allocation),
		updateCh:    make(chan struct{}, 1),
	}
	c.logger.Info("starting client", "node_id", id, "node_name", cfg.NodeName, "servers", cfg.Servers,
		"http_addr", cfg.HTTPAddr, "drivers", len(cfg.Drivers), "dev_mode", cfg.DevMode)
	// Recovered before anything else: the tasks are running now, and the
	// server's view, read later, is reconciled against them.
	c.restoreAllocs()
	c.startDriverFingerprints()
	c.goRun(c.registerAndHeartbeat)
	c.goRun(c.syncAllocUpdates)
	if cfg.AutoscalingSampleInterval >= 0 {
		c.goRun(c.emitAllocMetrics)
	}
	return c, nil
}

func (c *Client) goRun(fn func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
}

// buildNode assembles the node record from configuration and fingerprint.
func buildNode(cfg *Config, id, secret string, fp *fingerprint.Result) *structs.Node {
	res := fp.Resources
	res.MinDynamicPort, res.MaxDynamicPort = cfg.MinDynamicPort, cfg.MaxDynamicPort
	reserved := *cfg.Reserved
	meta := make(map[string]string, len(cfg.Meta))
	for k, v := range cfg.Meta {
		meta[k] = v
	}
	return &structs.Node{
		ID:                    id,
		SecretID:              secret,
		Datacenter:            cfg.Datacenter,
		Name:                  cfg.NodeName,
		HTTPAddr:              cfg.HTTPAddr,
		Attributes:            fp.Attributes,
		NodeResources:         res,
		ReservedResources:     &reserved,
		Meta:                  meta,
		NodeClass:             cfg.NodeClass,
		NodePool:              cfg.NodePool,
		SchedulingEligibility: structs.NodeSchedulingEligible,
		Status:                structs.NodeStatusInit,
		StatusUpdatedAt:       time.Now().Unix(),
		Drivers:               make(map[string]*structs.DriverInfo),
		HostVolumes:           fp.HostVolumes,
	}
}

// NodeID is the node's persistent ID.
func (c *Client) NodeID() string {
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	return c.node.ID
}

// Node returns a copy of the node record as the client last built it.
func (c *Client) Node() *structs.Node {
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	return copyNode(c.node)
}

func copyNode(n *structs.Node) *structs.Node {
	cp := *n
	cp.Attributes = make(map[string]string, len(n.Attributes))
	for k, v := range n.Attributes {
		cp.Attributes[k] = v
	}
	cp.Meta = make(map[string]string, len(n.Meta))
	for k, v := range n.Meta {
		cp.Meta[k] = v
	}
	cp.Drivers = make(map[string]*structs.DriverInfo, len(n.Drivers))
	for k, v := range n.Drivers {
		d := *v
		cp.Drivers[k] = &d
	}
	if n.NodeResources != nil {
		r := *n.NodeResources
		cp.NodeResources = &r
	}
	if n.HostVolumes != nil {
		cp.HostVolumes = make(map[string]*structs.ClientHostVolumeConfig, len(n.HostVolumes))
		for k, v := range n.HostVolumes {
			cp.HostVolumes[k] = v.Copy()
		}
	}
	return &cp
}

// Ready is closed once the node is registered and marked ready.
func (c *Client) Ready() <-chan struct{} { return c.readyCh }

// NumAllocs is the number of allocations the client runs or keeps.
func (c *Client) NumAllocs() int {
	c.allocMu.RLock()
	defer c.allocMu.RUnlock()
	return len(c.runners)
}

// GetAllocState returns the allocation as the client sees it, with client
// status and task states.
func (c *Client) GetAllocState(allocID string) (*structs.Allocation, bool) {
	ar := c.runner(allocID)
	if ar == nil {
		return nil, false
	}
	return ar.Alloc(), true
}

func (c *Client) runner(allocID string) *allocrunner.AllocRunner {
	c.allocMu.RLock()
	defer c.allocMu.RUnlock()
	return c.runners[allocID]
}

// Shutdown stops the client's loops. In dev mode it first stops the
// tasks and sends their final states; otherwise the tasks keep running,
// recorded in the state database, for the next agent to recover.
func (c *Client) Shutdown() error {
	var err error
	c.shutdownOnce.Do(func() {
		c.logger.Info("shutting down client", "dev_mode", c.cfg.DevMode)
		c.allocMu.RLock()
		runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
		for _, ar := range c.runners {
			runners = append(runners, ar)
		}
		c.allocMu.RUnlock()
		if c.cfg.DevMode {
			// A dev agent's data dir is thrown away: nothing could
			// recover its tasks.
			for _, ar := range runners {
				ar.Kill()
			}
			for _, ar := range runners {
				<-ar.WaitCh()
			}
		}
		c.flushUpdates(shutdownFlushTimeout)
		c.stopServices()
		c.cancel()
		for _, ar := range runners {
			ar.Detach()
		}
		// No runner may write to the database once it is closed.
		for _, ar := range runners {
			<-ar.WaitCh()
		}
		c.wg.Wait()
		if c.ownDB {
			err = c.db.Close()
		}
	})
	return err
}
