package command

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/command/agent"
)

// AgentCommand runs an agent until SIGINT or SIGTERM.
type AgentCommand struct {
	Meta
	// backends replaces the real server and client in tests; nil means
	// productionBackends().
	backends *agent.Backends
	// signals replaces the OS signals in tests.
	signals chan os.Signal
	// started, if set, receives the agent once it is up (for tests).
	started chan<- *agent.Agent
}

func (c *AgentCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch agent [options]

  Starts an orch agent: a server, a client or both (-dev). It runs until
  interrupted (SIGINT or SIGTERM), then shuts down gracefully.

Agent Options:

  -dev
    Server and client in one process, on 127.0.0.1, state in memory,
    raw_exec enabled. For trying orch out.

  -config=<path>
    An HCL or JSON config file, or a directory whose .hcl and .json files
    are read in lexical order. May be repeated; later files win.

  -server, -client
    Run a server, a client, or (both flags) both.

  -bootstrap-expect=<n>
    How many servers to wait for before electing a leader.

  -retry-join=<addr>
    A server's gossip address (host, or host:port; port 4648 by default)
    to join; may be repeated. Joining is retried in the background until
    one answers.

  -retry-interval=<duration>, -retry-max=<n>
    The longest pause between join attempts (default 30s), and how many
    failed attempts to give up after (default 0: never).

  -encrypt=<key>
    The gossip encryption key, base64 of 16, 24 or 32 bytes; every server
    needs the same one.

  -servers=<host:port,...>
    Servers a client registers with.

  -bind=<addr>
    Address to listen on (default 0.0.0.0; 127.0.0.1 with -dev).

  -data-dir=<path>
    Where state is kept. Required except with -dev.

  -plugin-dir=<path>
    Where third-party driver plugins are looked for (default
    <data-dir>/plugins).

  -node=<name>, -dc=<datacenter>, -region=<region>
    This agent's name, datacenter (default dc1) and region (default global).

  -log-level=<level>
    TRACE, DEBUG, INFO, WARN or ERROR.

  -http-port=<port>, -rpc-port=<port>, -serf-port=<port>
    Ports (default 4646, 4647, 4648); set them to run several agents on
    one host.

  -dns-addr=<ip>, -dns-port=<port>
    Where the agent answers DNS for the service catalog
    (NAME.service.orch; default 127.0.0.1:8600; port 0 picks a free one).`)
}

func (c *AgentCommand) Synopsis() string { return "Runs an orch agent" }

func (c *AgentCommand) Run(args []string) int {
	var errOut strings.Builder
	cfg, err := agent.LoadConfig(args, &errOut)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error loading agent configuration: %v", err))
		c.Ui.Error(commandErrorText(c.Help()))
		return exitError
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:   "orch",
		Level:  hclog.LevelFromString(cfg.LogLevel),
		Output: os.Stderr,
	})
	c.Ui.Output("==> Starting orch agent...")
	backends := c.backends
	if backends == nil {
		b := productionBackends()
		backends = &b
	}
	a, err := agent.NewAgent(cfg, logger, *backends)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error starting agent: %v", err))
		return exitError
	}
	c.Ui.Output(fmt.Sprintf(`==> orch agent configuration:

       Advertise Addrs: HTTP: %s; RPC: %s
            Bind Addrs: HTTP: %s
                Client: %v
             Log Level: %s
                Region: %s (DC: %s)
                Server: %v
               Version: %s

==> orch agent started! Log data will stream in below:
`, advertisedHTTPAddr(cfg, a.HTTPAddr().String()), advertisedRPCAddr(cfg), a.HTTPAddr(), cfg.Client.Enabled, cfg.LogLevel, cfg.Region, cfg.Datacenter,
		cfg.Server.Enabled, agent.Version))
	if c.started != nil {
		c.started <- a
	}

	sigs := c.signals
	if sigs == nil {
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigs)
	}
	sig := <-sigs
	c.Ui.Output(fmt.Sprintf("==> Caught signal: %v", sig))
	if (sig == os.Interrupt && cfg.LeaveOnInterrupt) || (sig == syscall.SIGTERM && cfg.LeaveOnTerm) {
		c.Ui.Output("==> Leaving the cluster...")
		if err := a.Leave(); err != nil {
			c.Ui.Error(fmt.Sprintf("Error leaving the cluster: %v", err))
		}
	}
	c.Ui.Output("==> Gracefully shutting down agent...")
	if err := a.Shutdown(); err != nil {
		c.Ui.Error(fmt.Sprintf("Error shutting down agent: %v", err))
		return exitError
	}
	return exitOK
}
