package command

import (
	"fmt"
	"strings"
)

// OperatorRaftRemovePeerCommand removes a server from the Raft peer set.
type OperatorRaftRemovePeerCommand struct{ Meta }

func (c *OperatorRaftRemovePeerCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch operator raft remove-peer [options] (-peer-address=<addr> | -peer-id=<id>)

  Removes a server from the Raft configuration, for a server that is gone
  for good and was not removed by the dead-server clean-up. The leader
  itself cannot be removed this way. "orch operator raft list-peers" shows
  the addresses and IDs.

` + generalOptionsHelp + `

Remove Peer Options:

  -peer-address=<host:port>
    The Raft address of the server to remove.

  -peer-id=<id>
    The Raft ID of the server to remove.`)
}

func (c *OperatorRaftRemovePeerCommand) Synopsis() string {
	return "Remove a server from the Raft configuration"
}

func (c *OperatorRaftRemovePeerCommand) Run(args []string) int {
	var address, id string
	fs := c.FlagSet("operator raft remove-peer")
	fs.StringVar(&address, "peer-address", "", "")
	fs.StringVar(&id, "peer-id", "", "")
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	if (address == "") == (id == "") {
		c.Ui.Error("Error: give exactly one of -peer-address or -peer-id")
		c.Ui.Error(commandErrorText(c.Help()))
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	var err error
	what := "address " + address
	if address != "" {
		err = client.Operator().RaftRemovePeerByAddress(address, nil)
	} else {
		what = "ID " + id
		err = client.Operator().RaftRemovePeerByID(id, nil)
	}
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error removing peer: %v", err))
		return exitError
	}
	c.Ui.Output(fmt.Sprintf("Removed peer with %s", what))
	return exitOK
}
