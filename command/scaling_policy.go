package command

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ScalingPolicyListCommand lists the scaling policies, as Nomad's.
type ScalingPolicyListCommand struct{ Meta }

func (c *ScalingPolicyListCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch scaling policy list [options]

  Lists the scaling policies: one per task group with a scaling block.

` + generalOptionsHelp + `

List Options:

  -job <id>
    Only the policies of this job.

  -json
    Output the policies in their JSON format.`)
}

func (c *ScalingPolicyListCommand) Synopsis() string { return "Display all scaling policies" }

func (c *ScalingPolicyListCommand) Run(args []string) int {
	var asJSON bool
	var job string
	fs := c.FlagSet("scaling policy list")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.StringVar(&job, "job", "", "")
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	list, _, err := client.Scaling().ListPolicies(nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error listing scaling policies: %v", err))
		return exitError
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	lines := []string{"ID|Enabled|Type|Target"}
	var kept []interface{}
	for _, p := range list {
		if job != "" && p.Target["Job"] != job {
			continue
		}
		kept = append(kept, p)
		lines = append(lines, fmt.Sprintf("%s|%t|%s|%s", p.ID, p.Enabled, p.Type, formatTarget(p.Target)))
	}
	if asJSON {
		return c.outputJSON(kept)
	}
	if len(kept) == 0 {
		c.Ui.Output("No policies found")
		return exitOK
	}
	c.Ui.Output(formatList(lines))
	return exitOK
}

func formatTarget(t map[string]string) string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+":"+t[k])
	}
	return strings.Join(parts, ",")
}

// ScalingPolicyInfoCommand shows one policy, as Nomad's.
type ScalingPolicyInfoCommand struct{ Meta }

func (c *ScalingPolicyInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch scaling policy info [options] <policy_id>

  Shows one scaling policy: its target, bounds and the policy orch's
  autoscaler runs (with the defaults filled in).

` + generalOptionsHelp + `

Info Options:

  -json
    Output the policy in its JSON format.`)
}

func (c *ScalingPolicyInfoCommand) Synopsis() string { return "Display an individual scaling policy" }

func (c *ScalingPolicyInfoCommand) Run(args []string) int {
	var asJSON bool
	fs := c.FlagSet("scaling policy info")
	fs.BoolVar(&asJSON, "json", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	p, _, err := client.Scaling().GetPolicy(fs.Arg(0), nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error reading scaling policy %q: %v", fs.Arg(0), err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(p)
	}
	c.Ui.Output(formatKV([]string{
		"ID|" + p.ID,
		fmt.Sprintf("Enabled|%t", deref(p.Enabled)),
		"Target|" + formatTarget(p.Target),
		fmt.Sprintf("Min|%d", deref(p.Min)),
		fmt.Sprintf("Max|%d", deref(p.Max)),
	}))
	buf, err := json.MarshalIndent(p.Policy, "", "  ")
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error formatting the policy: %v", err))
		return exitError
	}
	c.Ui.Output("\nPolicy:\n" + string(buf))
	return exitOK
}
