package command

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/api"
)

// ServerMembersCommand lists the servers the agent's gossip knows.
type ServerMembersCommand struct{ Meta }

func (c *ServerMembersCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch server members [options]

  Lists the servers in the gossip pool of the agent's server: their gossip
  address, whether gossip sees them alive, failed or left, which one is
  the Raft leader, and their region, datacenter and build.

` + generalOptionsHelp + `

Server Members Options:

  -detailed
    Show every gossip tag of each member instead of the summary.

  -json
    Print JSON.`)
}

func (c *ServerMembersCommand) Synopsis() string {
	return "Display a list of the known servers and their status"
}

func (c *ServerMembersCommand) Run(args []string) int {
	var detailed, asJSON bool
	fs := c.FlagSet("server members")
	fs.BoolVar(&detailed, "detailed", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	members, err := client.Agent().Members()
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying servers: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(members)
	}
	if len(members.Members) == 0 {
		c.Ui.Output("No servers known: this agent runs no server")
		return exitOK
	}
	sort.Slice(members.Members, func(i, j int) bool { return members.Members[i].Name < members.Members[j].Name })
	if detailed {
		c.Ui.Output(formatList(detailedMemberLines(members.Members)))
		return exitOK
	}
	// Without a leader the table is still worth showing: it tells which
	// servers are missing.
	leader, err := client.Status().Leader()
	if err != nil {
		c.Ui.Warn(fmt.Sprintf("Could not find the leader: %v", err))
	}
	c.Ui.Output(formatList(memberLines(members.Members, leader)))
	return exitOK
}

// memberLines is the table `nomad server members` prints; leader is the
// Raft leader's RPC address, which servers also carry in a tag.
func memberLines(members []*api.AgentMember, leader string) []string {
	lines := []string{"Name|Address|Port|Status|Leader|Raft Version|Build|Datacenter|Region"}
	for _, m := range members {
		isLeader := leader != "" && m.Tags["rpc_addr"] == leader
		lines = append(lines, strings.Join([]string{
			m.Name, m.Addr, strconv.Itoa(int(m.Port)), m.Status, strconv.FormatBool(isLeader),
			orUnknown(m.Tags["raft_vsn"]), orUnknown(m.Tags["build"]), m.Tags["dc"], m.Tags["region"],
		}, "|"))
	}
	return lines
}

func detailedMemberLines(members []*api.AgentMember) []string {
	lines := []string{"Name|Address|Port|Tags"}
	for _, m := range members {
		keys := make([]string, 0, len(m.Tags))
		for k := range m.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tags := make([]string, len(keys))
		for i, k := range keys {
			tags[i] = k + "=" + m.Tags[k]
		}
		lines = append(lines, strings.Join([]string{m.Name, m.Addr, strconv.Itoa(int(m.Port)), strings.Join(tags, ",")}, "|"))
	}
	return lines
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
