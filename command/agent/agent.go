package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-metrics"
	promsink "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Version is the agent's version, reported by /v1/agent/self and
// `orch version`.
const Version = "0.1.0-dev"

// ServerBackend is what the agent needs of a server (nomadlike.Server).
type ServerBackend interface {
	structs.RPCer
	// Leader returns the leader's RPC address, "" when none is known.
	Leader() string
	Shutdown() error
}

// ClientBackend is what the agent needs of a client (client.Client).
type ClientBackend interface {
	LogStreamer
	Shutdown() error
	// Ready is closed once the node is registered with the servers and
	// marked ready, that is, once jobs can be placed on it.
	Ready() <-chan struct{}
}

// Backends builds the parts of an agent. The CLI wires nomadlike and
// client here; tests wire fakes. A nil constructor means the part cannot
// run in this build, which is an error only if the config enables it.
type Backends struct {
	NewServer func(cfg *Config, logger hclog.Logger) (ServerBackend, error)
	// NewClient gets the RPC endpoint to reach servers with: the local
	// server when the agent runs one, else the result of DialServers.
	NewClient func(cfg *Config, logger hclog.Logger, rpc structs.RPCer) (ClientBackend, error)
	// DialServers reaches remote servers, for agents that run no server.
	DialServers func(servers []string, logger hclog.Logger) (structs.RPCer, error)
	Parser      JobParser
	// StartDiscovery, if set, starts the DNS server and the client's load
	// balancer once the server and client are up; the returned function
	// stops them (called first at shutdown).
	StartDiscovery func(cfg *Config, logger hclog.Logger, rpc structs.RPCer) (stop func() error, err error)
}

// Agent runs a server, a client or both, and the HTTP API in front of
// them.
type Agent struct {
	config *Config
	logger hclog.Logger
	// root is handed to the parts, which name themselves.
	root     hclog.Logger
	started  time.Time
	server   ServerBackend
	client   ClientBackend
	rpc      structs.RPCer
	http     *HTTPServer
	httpAddr net.Addr
	inmem    *metrics.InmemSink
	// stopDiscovery stops DNS and the load balancer (nil when off).
	stopDiscovery func() error

	shutdownOnce sync.Once
	shutdownErr  error
}

var _ AgentInfo = (*Agent)(nil)

// NewAgent starts the agent's parts: metrics, then the server, then the
// client (which registers through the server), then the HTTP API. If a
// part fails, those already started are shut down.
func NewAgent(cfg *Config, logger hclog.Logger, b Backends) (*Agent, error) {
	a := &Agent{config: cfg, logger: logger.Named("agent"), root: logger, started: time.Now()}
	prom, err := a.setupMetrics()
	if err != nil {
		return nil, err
	}
	if err := a.startParts(b); err != nil {
		_ = a.Shutdown()
		return nil, err
	}
	httpCfg := &HTTPServerConfig{
		Logger: logger, RPC: a.rpc, Region: cfg.Region, Agent: a,
		Parser: b.Parser, Metrics: a.inmem, Prometheus: prom,
	}
	if a.client != nil {
		httpCfg.Logs = a.client
	}
	if es, ok := a.server.(EventSubscriber); ok {
		httpCfg.Events = es
	}
	a.http, err = NewHTTPServer(httpCfg)
	if err == nil {
		a.httpAddr, err = a.http.Start(cfg.HTTPAddr())
	}
	if err != nil {
		_ = a.Shutdown()
		return nil, err
	}
	return a, nil
}

func (a *Agent) startParts(b Backends) error {
	cfg := a.config
	if cfg.Server.Enabled {
		if b.NewServer == nil {
			return errors.New("start server: this build has no server")
		}
		srv, err := b.NewServer(cfg, a.root)
		if err != nil {
			return fmt.Errorf("start server: %w", err)
		}
		a.server, a.rpc = srv, srv
	} else {
		if b.DialServers == nil {
			return errors.New("connect to servers: this build cannot reach remote servers")
		}
		rpc, err := b.DialServers(cfg.Client.Servers, a.root)
		if err != nil {
			return fmt.Errorf("connect to servers %v: %w", cfg.Client.Servers, err)
		}
		a.rpc = rpc
	}
	if cfg.Client.Enabled {
		if b.NewClient == nil {
			return errors.New("start client: this build has no client")
		}
		c, err := b.NewClient(cfg, a.root, a.rpc)
		if err != nil {
			return fmt.Errorf("start client: %w", err)
		}
		a.client = c
	}
	if b.StartDiscovery != nil {
		stop, err := b.StartDiscovery(cfg, a.root, a.rpc)
		if err != nil {
			return fmt.Errorf("start discovery: %w", err)
		}
		a.stopDiscovery = stop
	}
	return nil
}

// setupMetrics installs the process-wide go-metrics sinks: in memory for
// /v1/metrics, plus a Prometheus registry of the agent's own when enabled.
func (a *Agent) setupMetrics() (prometheus.Gatherer, error) {
	a.inmem = metrics.NewInmemSink(10*time.Second, time.Minute)
	sinks := metrics.FanoutSink{a.inmem}
	var gatherer prometheus.Gatherer
	if a.config.Telemetry.PrometheusMetrics {
		reg := prometheus.NewRegistry()
		sink, err := promsink.NewPrometheusSinkFrom(promsink.PrometheusOpts{Registerer: reg, Expiration: time.Minute})
		if err != nil {
			return nil, fmt.Errorf("start prometheus metrics: %w", err)
		}
		sinks = append(sinks, sink)
		gatherer = reg
	}
	mc := metrics.DefaultConfig("orch")
	mc.EnableHostname = !a.config.Telemetry.DisableHostname
	mc.EnableRuntimeMetrics = true
	if _, err := metrics.NewGlobal(mc, sinks); err != nil {
		return nil, fmt.Errorf("start metrics: %w", err)
	}
	return gatherer, nil
}

// HTTPAddr is the address the HTTP API is bound to.
func (a *Agent) HTTPAddr() net.Addr { return a.httpAddr }

// RPC is the agent's way to the servers: the local server or a remote one.
func (a *Agent) RPC() structs.RPCer { return a.rpc }

// Shutdown stops the HTTP API first, so no request reaches a part being
// stopped, then the client, then the server. It is safe to call twice.
func (a *Agent) Shutdown() error {
	a.shutdownOnce.Do(func() {
		a.logger.Info("shutting down")
		var errs []error
		if a.stopDiscovery != nil {
			errs = append(errs, a.stopDiscovery())
		}
		if a.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			errs = append(errs, a.http.Shutdown(ctx))
			cancel()
		}
		if a.client != nil {
			errs = append(errs, a.client.Shutdown())
		}
		if a.server != nil {
			errs = append(errs, a.server.Shutdown())
		}
		a.shutdownErr = errors.Join(errs...)
	})
	return a.shutdownErr
}

func (a *Agent) nodeName() string {
	if a.config.NodeName != "" {
		return a.config.NodeName
	}
	host, _ := os.Hostname()
	return host
}

// Self describes the agent for /v1/agent/self.
func (a *Agent) Self() *api.AgentSelf {
	var cfgMap map[string]interface{}
	if buf, err := json.Marshal(a.config); err == nil {
		_ = json.Unmarshal(buf, &cfgMap)
	}
	stats := map[string]map[string]string{
		"agent": {
			"version":    Version,
			"server":     strconv.FormatBool(a.server != nil),
			"client":     strconv.FormatBool(a.client != nil),
			"uptime":     time.Since(a.started).Round(time.Second).String(),
			"http_addr":  fmt.Sprint(a.httpAddr),
			"dev_mode":   strconv.FormatBool(a.config.DevMode),
			"datacenter": a.config.Datacenter,
			"region":     a.config.Region,
		},
		"runtime": {
			"goroutines": strconv.Itoa(runtime.NumGoroutine()),
			"arch":       runtime.GOARCH,
			"os":         runtime.GOOS,
			"version":    runtime.Version(),
			"cpu_count":  strconv.Itoa(runtime.NumCPU()),
		},
	}
	if a.client != nil {
		stats["client"] = map[string]string{"node_id": a.client.NodeID()}
	}
	if a.server != nil {
		stats["raft"] = map[string]string{"leader": a.server.Leader()}
	}
	return &api.AgentSelf{Config: cfgMap, Member: a.member(), Stats: stats}
}

func (a *Agent) member() api.AgentMember {
	host, portStr, _ := net.SplitHostPort(a.config.SerfAddr())
	if a.config.Advertise.Serf != "" {
		host = a.config.Advertise.Serf
	}
	port, _ := strconv.ParseUint(portStr, 10, 16)
	status := "alive"
	if a.server == nil {
		status = "none"
	}
	return api.AgentMember{
		Name: a.nodeName() + "." + a.config.Region,
		Addr: host,
		Port: uint16(port),
		Tags: map[string]string{
			"role":   "orch",
			"region": a.config.Region,
			"dc":     a.config.Datacenter,
			"build":  Version,
			"port":   strconv.Itoa(a.config.Ports.RPC),
		},
		Status: status,
	}
}

// Members lists the servers this agent's gossip knows, alive or not; a
// server without gossip lists itself alone.
func (a *Agent) Members() *api.ServerMembers {
	out := &api.ServerMembers{
		ServerName:   a.nodeName(),
		ServerRegion: a.config.Region,
		ServerDC:     a.config.Datacenter,
		Members:      []*api.AgentMember{},
	}
	if g, ok := a.server.(gossipServer); ok && len(g.Members()) > 0 {
		out.Members = gossipMembers(g.Members())
	} else if a.server != nil {
		m := a.member()
		out.Members = append(out.Members, &m)
	}
	return out
}

// Health reports the server healthy once it knows a leader, and the
// client once its node is registered and ready: a healthy dev agent can
// place a job at once, so scripts may wait on health alone.
func (a *Agent) Health() *api.AgentHealthResponse {
	var h api.AgentHealthResponse
	if a.server != nil {
		h.Server = &api.AgentHealth{Ok: true, Message: "ok"}
		if a.server.Leader() == "" {
			h.Server = &api.AgentHealth{Ok: false, Message: "No cluster leader"}
		}
	}
	if a.client != nil {
		h.Client = &api.AgentHealth{Ok: true, Message: "ok"}
		select {
		case <-a.client.Ready():
		default:
			h.Client = &api.AgentHealth{Ok: false, Message: "node not registered with the servers yet"}
		}
	}
	return &h
}
