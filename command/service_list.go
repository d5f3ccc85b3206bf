package command

import (
	"fmt"
	"sort"
	"strings"
)

// ServiceListCommand lists the services of the catalog.
type ServiceListCommand struct{ Meta }

func (c *ServiceListCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch service list [options]

  Lists the services registered in orch's built-in catalog, with the
  union of their instances' tags. Use -namespace=* for every namespace.

` + generalOptionsHelp + `

Service List Options:

  -json
    Print JSON.`)
}

func (c *ServiceListCommand) Synopsis() string { return "Display all registered services" }

func (c *ServiceListCommand) Run(args []string) int {
	var asJSON bool
	fs := c.FlagSet("service list")
	fs.BoolVar(&asJSON, "json", false, "")
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	list, _, err := client.Services().List(nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error listing services: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(list)
	}
	manyNS := len(list) > 1
	header := "Service Name|Tags"
	if manyNS {
		header = "Service Name|Namespace|Tags"
	}
	rows := []string{header}
	for _, ns := range list {
		for _, s := range ns.Services {
			tags := append([]string(nil), s.Tags...)
			sort.Strings(tags)
			if manyNS {
				rows = append(rows, fmt.Sprintf("%s|%s|[%s]", s.ServiceName, ns.Namespace, strings.Join(tags, ",")))
			} else {
				rows = append(rows, fmt.Sprintf("%s|[%s]", s.ServiceName, strings.Join(tags, ",")))
			}
		}
	}
	if len(rows) == 1 {
		c.Ui.Output("No services found")
		return exitOK
	}
	c.Ui.Output(formatList(rows))
	return exitOK
}
