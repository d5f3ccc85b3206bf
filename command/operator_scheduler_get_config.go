package command

import (
	"fmt"
	"strings"
)

// OperatorSchedulerGetConfigCommand shows the scheduler configuration.
type OperatorSchedulerGetConfigCommand struct{ Meta }

func (c *OperatorSchedulerGetConfigCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch operator scheduler get-config [options]

  Displays the cluster's scheduler configuration: the scheduler algorithm
  (binpack or spread), which job types may preempt lower-priority
  allocations, memory oversubscription and whether job registration is
  rejected.

` + generalOptionsHelp + `

Scheduler Get Config Options:

  -json
    Output the scheduler configuration in its JSON format.`)
}

func (c *OperatorSchedulerGetConfigCommand) Synopsis() string {
	return "Display the current scheduler configuration"
}

func (c *OperatorSchedulerGetConfigCommand) Run(args []string) int {
	var asJSON bool
	fs := c.FlagSet("operator scheduler get-config")
	fs.BoolVar(&asJSON, "json", false, "")
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	resp, _, err := client.Operator().SchedulerGetConfiguration(nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying scheduler configuration: %v", err))
		return exitError
	}
	if asJSON {
		return c.outputJSON(resp.SchedulerConfig)
	}
	cfg := resp.SchedulerConfig
	if cfg == nil {
		c.Ui.Error("Error querying scheduler configuration: the agent answered without one")
		return exitError
	}
	c.Ui.Output(formatKV([]string{
		fmt.Sprintf("Scheduler Algorithm|%s", cfg.SchedulerAlgorithm),
		fmt.Sprintf("Memory Oversubscription|%t", cfg.MemoryOversubscriptionEnabled),
		fmt.Sprintf("Reject Job Registration|%t", cfg.RejectJobRegistration),
		fmt.Sprintf("Pause Eval Broker|%t", cfg.PauseEvalBroker),
		fmt.Sprintf("Preemption System Scheduler|%t", cfg.PreemptionConfig.SystemSchedulerEnabled),
		fmt.Sprintf("Preemption Service Scheduler|%t", cfg.PreemptionConfig.ServiceSchedulerEnabled),
		fmt.Sprintf("Preemption Batch Scheduler|%t", cfg.PreemptionConfig.BatchSchedulerEnabled),
		fmt.Sprintf("Preemption SysBatch Scheduler|%t", cfg.PreemptionConfig.SysBatchSchedulerEnabled),
		fmt.Sprintf("Modify Index|%d", cfg.ModifyIndex),
	}))
	return exitOK
}
