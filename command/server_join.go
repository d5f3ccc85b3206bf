package command

import (
	"fmt"
	"strings"
)

// ServerJoinCommand has the agent's server join other servers by gossip.
type ServerJoinCommand struct{ Meta }

func (c *ServerJoinCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch server join [options] <addr> [<addr>...]

  Has the agent's server join the gossip pool of the servers at the given
  addresses (host, or host:port; the serf port 4648 by default). Once
  joined, the leader adds the server to Raft, or, in a new cluster, the
  servers bootstrap Raft once bootstrap_expect of them see each other.

` + generalOptionsHelp)
}

func (c *ServerJoinCommand) Synopsis() string { return "Join server nodes together" }

func (c *ServerJoinCommand) Run(args []string) int {
	fs := c.FlagSet("server join")
	if !c.parseArgs(fs, args, 0, -1, c.Help()) {
		return exitError
	}
	if fs.NArg() == 0 {
		c.Ui.Error("Missing address: give one or more server addresses (host or host:port) to join")
		c.Ui.Error(commandErrorText(c.Help()))
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	n, err := client.Agent().Join(fs.Args()...)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error joining %s: %v", strings.Join(fs.Args(), ", "), err))
		return exitError
	}
	c.Ui.Output(fmt.Sprintf("Joined %d servers successfully", n))
	return exitOK
}
