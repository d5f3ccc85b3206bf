package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orch-dev/orch/api"
)

// NodeStatusCommand lists nodes, or shows one with its allocations.
type NodeStatusCommand struct {
	Meta
	now func() time.Time
}

func (c *NodeStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch node status [options] [node]

  Without a node, lists every client node. With one (an ID or a unique
  prefix), shows the node, its drivers and its allocations.

` + generalOptionsHelp + `

Node Status Options:

  -json
    Print JSON.

  -verbose
    Show full IDs and node attributes.`)
}

func (c *NodeStatusCommand) Synopsis() string { return "Display status information about nodes" }

func (c *NodeStatusCommand) Run(args []string) int {
	var asJSON, verbose bool
	fs := c.FlagSet("node status")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 0, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	idLen := idLength(verbose)
	if fs.NArg() == 0 {
		return c.list(client, asJSON, idLen)
	}
	nodeID, err := resolveNodeID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	node, _, err := client.Nodes().Info(nodeID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying node: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(node)
	}
	return c.show(client, node, idLen, verbose)
}

func (c *NodeStatusCommand) list(client *api.Client, asJSON bool, idLen int) int {
	nodes, _, err := client.Nodes().List(nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying nodes: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(nodes)
	}
	if len(nodes) == 0 {
		c.Ui.Output("No nodes registered")
		return exitOK
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	lines := []string{"ID|Node Pool|DC|Name|Class|Drain|Eligibility|Status"}
	for _, n := range nodes {
		class := n.NodeClass
		if class == "" {
			class = "<none>"
		}
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%s|%s|%v|%s|%s",
			limit(n.ID, idLen), n.NodePool, n.Datacenter, n.Name, class, n.Drain, n.SchedulingEligibility, n.Status))
	}
	c.Ui.Output(formatList(lines))
	return exitOK
}

func (c *NodeStatusCommand) show(client *api.Client, n *api.Node, idLen int, verbose bool) int {
	var drivers []string
	for name, d := range n.Drivers {
		if d.Detected && d.Healthy {
			drivers = append(drivers, name)
		}
	}
	sort.Strings(drivers)
	c.Ui.Output(formatKV([]string{
		"ID|" + limit(n.ID, idLen),
		"Name|" + n.Name,
		"Node Pool|" + n.NodePool,
		"Class|" + n.NodeClass,
		"DC|" + n.Datacenter,
		"Drain|" + fmt.Sprint(n.Drain),
		"Eligibility|" + n.SchedulingEligibility,
		"Status|" + n.Status,
		"HTTP Address|" + n.HTTPAddr,
		"Drivers|" + strings.Join(drivers, ","),
	}))
	if r := n.NodeResources; r != nil {
		c.Ui.Output("\nNode Resources")
		c.Ui.Output(formatList([]string{
			"CPU|Memory|Disk",
			fmt.Sprintf("%d MHz|%d MiB|%d MiB", r.Cpu.CpuShares, r.Memory.MemoryMB, r.Disk.DiskMB),
		}))
	}
	if len(n.HostVolumes) > 0 {
		c.Ui.Output("\nHost Volumes")
		c.Ui.Output(formatList(hostVolumeRows(n.HostVolumes)))
	}
	allocs, _, err := client.Nodes().Allocations(n.ID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying node allocations: %v", err))
		return exitError
	}
	c.Ui.Output("\nAllocations")
	if len(allocs) == 0 {
		c.Ui.Output("No allocations placed")
	} else {
		now := clockOr(c.now)
		stubs := make([]*api.AllocationListStub, 0, len(allocs))
		for _, a := range allocs {
			stubs = append(stubs, allocStub(a))
		}
		c.Ui.Output(allocTable(stubs, idLen, now()))
	}
	if verbose {
		keys := make([]string, 0, len(n.Attributes))
		for k := range n.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		lines := make([]string, 0, len(keys))
		for _, k := range keys {
			lines = append(lines, k+"|"+n.Attributes[k])
		}
		c.Ui.Output("\nAttributes")
		c.Ui.Output(formatKV(lines))
	}
	return exitOK
}

// hostVolumeRows is the node's host volumes as Nomad's node status lists
// them, by name.
func hostVolumeRows(vols map[string]*api.HostVolumeInfo) []string {
	names := make([]string, 0, len(vols))
	for name := range vols {
		names = append(names, name)
	}
	sort.Strings(names)
	rows := []string{"Name|ReadOnly|Source"}
	for _, name := range names {
		if v := vols[name]; v != nil {
			rows = append(rows, fmt.Sprintf("%s|%t|%s", name, v.ReadOnly, v.Path))
		}
	}
	return rows
}

// allocStub makes a table row of a full allocation.
func allocStub(a *api.Allocation) *api.AllocationListStub {
	s := &api.AllocationListStub{
		ID: a.ID, EvalID: a.EvalID, Name: a.Name, Namespace: a.Namespace, NodeID: a.NodeID,
		NodeName: a.NodeName, JobID: a.JobID, TaskGroup: a.TaskGroup,
		DesiredStatus: a.DesiredStatus, ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
		TaskStates: a.TaskStates, CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex,
		CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
	}
	if a.Job != nil {
		s.JobType, s.JobVersion = deref(a.Job.Type), deref(a.Job.Version)
	}
	return s
}
