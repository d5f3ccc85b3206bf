package command

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/api"
)

// ServiceInfoCommand shows the instances of one service.
type ServiceInfoCommand struct{ Meta }

func (c *ServiceInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch service info [options] <service name>

  Shows the instances of a service in orch's built-in catalog: where each
  runs, its tags, and its health (Status: passing, warning or critical,
  the worst of its checks).

` + generalOptionsHelp + `

Service Info Options:

  -json
    Print JSON.

  -verbose
    Show every field of each instance, with full IDs.`)
}

func (c *ServiceInfoCommand) Synopsis() string { return "Display an individual service's instances" }

func (c *ServiceInfoCommand) Run(args []string) int {
	var asJSON, verbose bool
	fs := c.FlagSet("service info")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	name := fs.Arg(0)
	regs, _, err := client.Services().Get(name, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error listing service instances: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(regs)
	}
	if len(regs) == 0 {
		c.Ui.Error(fmt.Sprintf("No service registrations found for %q", name))
		return exitError
	}
	sort.Slice(regs, func(i, j int) bool { return regs[i].ID < regs[j].ID })
	if verbose {
		c.Ui.Output(serviceInfoVerbose(regs))
		return exitOK
	}
	c.Ui.Output(serviceInfoTable(regs, idLength(false)))
	return exitOK
}

func instanceAddress(r *api.ServiceRegistration) string {
	return net.JoinHostPort(r.Address, strconv.Itoa(r.Port))
}

// serviceInfoTable is Nomad's table with orch's Status column.
func serviceInfoTable(regs []*api.ServiceRegistration, idLen int) string {
	rows := []string{"Job ID|Address|Tags|Node ID|Alloc ID|Status"}
	for _, r := range regs {
		rows = append(rows, fmt.Sprintf("%s|%s|[%s]|%s|%s|%s", r.JobID, instanceAddress(r), strings.Join(r.Tags, ","),
			limit(r.NodeID, idLen), limit(r.AllocID, idLen), r.Status))
	}
	return formatList(rows)
}

func serviceInfoVerbose(regs []*api.ServiceRegistration) string {
	blocks := make([]string, 0, len(regs))
	for _, r := range regs {
		blocks = append(blocks, formatKV([]string{
			"ID|" + r.ID,
			"Service Name|" + r.ServiceName,
			"Namespace|" + r.Namespace,
			"Job ID|" + r.JobID,
			"Alloc ID|" + r.AllocID,
			"Node ID|" + r.NodeID,
			"Datacenter|" + r.Datacenter,
			"Address|" + instanceAddress(r),
			"Tags|[" + strings.Join(r.Tags, ",") + "]",
			"Status|" + r.Status,
		}))
	}
	return strings.Join(blocks, "\n\n")
}
