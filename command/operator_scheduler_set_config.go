package command

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/api"
)

// OperatorSchedulerSetConfigCommand changes the scheduler configuration:
// the options given, on top of the current configuration.
type OperatorSchedulerSetConfigCommand struct{ Meta }

func (c *OperatorSchedulerSetConfigCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch operator scheduler set-config [options]

  Modifies the scheduler configuration. Only the options given change; the
  rest keep their current values. The change is a check-and-set against the
  configuration read first, so two operators changing it at once cannot
  silently undo each other. Schedulers use it from their next evaluation on.

` + generalOptionsHelp + `

Scheduler Set Config Options:

  -check-index=<index>
    Only update the configuration if its modify index is still <index>,
    as shown by "orch operator scheduler get-config".

  -scheduler-algorithm=["binpack"|"spread"]
    Whether the scheduler packs allocations onto the fullest nodes that fit
    (binpack) or places them on the emptiest (spread).

  -memory-oversubscription=[true|false]
    When true, tasks are granted their memory_max: they may use memory above
    their reservation when the node has it free.

  -reject-job-registration=[true|false]
    When true, job registrations are refused with a permission error, to
    shed load during an incident.

  -pause-eval-broker=[true|false]
    Accepted only as false: orch cannot pause the eval broker.

  -preempt-batch-scheduler=[true|false]
    Whether batch jobs may preempt allocations of lower-priority jobs.

  -preempt-service-scheduler=[true|false]
    Whether service jobs may preempt allocations of lower-priority jobs.

  -preempt-sysbatch-scheduler=[true|false]
    Whether sysbatch jobs may preempt allocations of lower-priority jobs.

  -preempt-system-scheduler=[true|false]
    Whether system jobs may preempt allocations of lower-priority jobs.`)
}

func (c *OperatorSchedulerSetConfigCommand) Synopsis() string {
	return "Modify the current scheduler configuration"
}

// optionalBool is a boolean flag that remembers whether it was given, so
// an option left out keeps the current value.
type optionalBool struct {
	set   bool
	value bool
}

func (b *optionalBool) String() string   { return strconv.FormatBool(b.value) }
func (b *optionalBool) IsBoolFlag() bool { return true }

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	b.set, b.value = true, v
	return nil
}

func (b *optionalBool) merge(dst *bool) {
	if b.set {
		*dst = b.value
	}
}

func (c *OperatorSchedulerSetConfigCommand) Run(args []string) int {
	var checkIndex, algorithm string
	var memOver, reject, pause, batch, service, sysbatch, system optionalBool
	fs := c.FlagSet("operator scheduler set-config")
	fs.StringVar(&checkIndex, "check-index", "", "")
	fs.StringVar(&algorithm, "scheduler-algorithm", "", "")
	for name, v := range map[string]*optionalBool{
		"memory-oversubscription": &memOver, "reject-job-registration": &reject, "pause-eval-broker": &pause,
		"preempt-batch-scheduler": &batch, "preempt-service-scheduler": &service,
		"preempt-sysbatch-scheduler": &sysbatch, "preempt-system-scheduler": &system,
	} {
		fs.Var(v, name, "")
	}
	if !c.parseArgs(fs, args, 0, 0, c.Help()) {
		return exitError
	}
	var index uint64
	if checkIndex != "" {
		n, err := strconv.ParseUint(checkIndex, 10, 64)
		if err != nil {
			c.Ui.Error(fmt.Sprintf("Error parsing -check-index value %q: must be a non-negative integer", checkIndex))
			return exitError
		}
		index = n
	}
	switch api.SchedulerAlgorithm(algorithm) {
	case "", api.SchedulerAlgorithmBinpack, api.SchedulerAlgorithmSpread:
	default:
		c.Ui.Error(fmt.Sprintf("Error: -scheduler-algorithm %q is not a scheduler algorithm: want \"binpack\" or \"spread\"", algorithm))
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
	cfg := resp.SchedulerConfig
	if cfg == nil {
		c.Ui.Error("Error querying scheduler configuration: the agent answered without one")
		return exitError
	}
	if index > 0 && index != cfg.ModifyIndex {
		c.Ui.Error(fmt.Sprintf("Error: -check-index %d does not match the current modify index %d", index, cfg.ModifyIndex))
		return exitError
	}
	if algorithm != "" {
		cfg.SchedulerAlgorithm = api.SchedulerAlgorithm(algorithm)
	}
	memOver.merge(&cfg.MemoryOversubscriptionEnabled)
	reject.merge(&cfg.RejectJobRegistration)
	pause.merge(&cfg.PauseEvalBroker)
	batch.merge(&cfg.PreemptionConfig.BatchSchedulerEnabled)
	service.merge(&cfg.PreemptionConfig.ServiceSchedulerEnabled)
	sysbatch.merge(&cfg.PreemptionConfig.SysBatchSchedulerEnabled)
	system.merge(&cfg.PreemptionConfig.SystemSchedulerEnabled)

	result, _, err := client.Operator().SchedulerCASConfiguration(cfg, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error setting scheduler configuration: %v", err))
		return exitError
	}
	if !result.Updated {
		c.Ui.Error("Scheduler configuration could not be updated: it changed since it was read; run the command again")
		return exitError
	}
	c.Ui.Output("Scheduler configuration updated!")
	return exitOK
}
