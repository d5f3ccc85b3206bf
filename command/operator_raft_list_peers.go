package command

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/api"
)

// OperatorRaftListPeersCommand shows the Raft peer set.
type OperatorRaftListPeersCommand struct{ Meta }

func (c *OperatorRaftListPeersCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch operator raft list-peers [options]

  Lists the servers of the Raft configuration as the leader sees it: node
  name, Raft ID, address, whether it leads or follows, whether it votes,
  and its Raft protocol version.

` + generalOptionsHelp + `

List Peers Options:

  -stale
    Answer from the agent's server even if it is not the leader, e.g.
    when the cluster has lost its leader.`)
}

func (c *OperatorRaftListPeersCommand) Synopsis() string {
	return "Display the Raft peer configuration"
}

func (c *OperatorRaftListPeersCommand) Run(args []string) int {
	var stale bool
	fs := c.FlagSet("operator raft list-peers")
	fs.BoolVar(&stale, "stale", false, "")
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	conf, err := client.Operator().RaftGetConfiguration(&api.QueryOptions{AllowStale: stale})
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error getting the Raft configuration: %v", err))
		return exitError
	}
	lines := []string{"Node|ID|Address|State|Voter|RaftProtocol"}
	for _, s := range conf.Servers {
		state := "follower"
		if s.Leader {
			state = "leader"
		}
		lines = append(lines, strings.Join([]string{
			s.Node, s.ID, s.Address, state, strconv.FormatBool(s.Voter), s.RaftProtocol,
		}, "|"))
	}
	c.Ui.Output(formatList(lines))
	return exitOK
}
