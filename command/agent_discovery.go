package command

import (
	"context"
	"fmt"
	"net"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/lb"
	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/command/agent"
	"github.com/orch-dev/orch/command/agent/dns"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// discovery is what startDiscovery started: one catalog watcher shared by
// the DNS server and, on clients, the load balancer.
type discovery struct {
	watcher  *servicewatch.Watcher
	dns      *dns.Server
	lb       *lb.Manager
	cancelLB context.CancelFunc
	lbDone   chan struct{}
	// cfg is the agent's config, keying its request rates (agent_rates.go).
	cfg *agent.Config
}

// startDiscovery starts DNS (every agent) and the load balancer (clients)
// over serviceCatalog; with no catalog it starts nothing.
func startDiscovery(cfg *agent.Config, logger hclog.Logger, rpc structs.RPCer) (func() error, error) {
	d, err := newDiscovery(cfg, logger, serviceCatalog(rpc, cfg.Region))
	if d == nil || err != nil {
		return nil, err
	}
	return d.stop, nil
}

// newDiscovery starts what cfg enables over cat; nil when nothing runs.
func newDiscovery(cfg *agent.Config, logger hclog.Logger, cat servicewatch.Catalog) (*discovery, error) {
	runLB := cfg.Client.Enabled && cfg.Client.LoadBalancer.Enabled
	if cat == nil || (!cfg.DNS.Enabled && !runLB) {
		return nil, nil
	}
	d := &discovery{watcher: servicewatch.New(servicewatch.Config{Catalog: cat, Logger: logger})}
	if cfg.DNS.Enabled {
		srv, err := dns.New(dns.Config{
			Addr: cfg.DNS.Address, Port: cfg.DNS.Port, Domain: cfg.DNS.Domain, TTL: cfg.DNS.TTL,
			Watcher: d.watcher, Logger: logger,
		})
		switch {
		case err == nil:
			d.dns = srv
		case cfg.DNS.Explicit:
			d.watcher.Stop()
			return nil, err
		default:
			// The default port is best effort: another agent on this
			// host may hold it.
			logger.Warn("dns interface not started", "address", net.JoinHostPort(cfg.DNS.Address, fmt.Sprint(cfg.DNS.Port)), "error", err)
		}
	}
	if runLB {
		d.lb = lb.New(lb.Config{Catalog: cat, Watcher: d.watcher, Bind: cfg.LoadBalancerBind(), Logger: logger})
		ctx, cancel := context.WithCancel(context.Background())
		d.cancelLB, d.lbDone = cancel, make(chan struct{})
		go func() { defer close(d.lbDone); d.lb.Run(ctx) }()
		agentRates(cfg).set(d.lb)
		d.cfg = cfg
	}
	return d, nil
}

func (d *discovery) stop() error {
	var err error
	if d.dns != nil {
		err = d.dns.Shutdown()
	}
	if d.cancelLB != nil {
		d.cancelLB()
		<-d.lbDone
	}
	if d.cfg != nil {
		forgetAgentRates(d.cfg)
	}
	d.watcher.Stop()
	return err
}
