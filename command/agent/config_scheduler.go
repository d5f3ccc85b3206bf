package agent

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// fileSchedulerConfig is server { default_scheduler_config { ... } }: the
// scheduler configuration a new cluster starts with. Its two checked
// values are kept as expressions so a bad one is reported at its
// file:line.
type fileSchedulerConfig struct {
	SchedulerAlgorithm    hcl.Expression        `hcl:"scheduler_algorithm,optional"`
	MemoryOversubscribe   *bool                 `hcl:"memory_oversubscription_enabled,optional"`
	RejectJobRegistration *bool                 `hcl:"reject_job_registration,optional"`
	PauseEvalBroker       hcl.Expression        `hcl:"pause_eval_broker,optional"`
	PreemptionConfig      *filePreemptionConfig `hcl:"preemption_config,block"`
}

type filePreemptionConfig struct {
	System   *bool `hcl:"system_scheduler_enabled,optional"`
	SysBatch *bool `hcl:"sysbatch_scheduler_enabled,optional"`
	Batch    *bool `hcl:"batch_scheduler_enabled,optional"`
	Service  *bool `hcl:"service_scheduler_enabled,optional"`
}

// decodeSchedulerConfig turns the block into a configuration: what it
// leaves out keeps Nomad's default (binpack, preemption for system jobs
// only), so `preemption_config { service_scheduler_enabled = true }` does
// not also turn system preemption off.
func decodeSchedulerConfig(f *fileSchedulerConfig) (*structs.SchedulerConfiguration, hcl.Diagnostics) {
	cfg := structs.DefaultSchedulerConfig()
	var diags hcl.Diagnostics
	if present(f.SchedulerAlgorithm) {
		var alg string
		if d := gohcl.DecodeExpression(f.SchedulerAlgorithm, nil, &alg); d.HasErrors() {
			return nil, d
		}
		if alg != structs.SchedulerAlgorithmBinpack && alg != structs.SchedulerAlgorithmSpread {
			r := f.SchedulerAlgorithm.Range()
			return nil, append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid scheduler_algorithm",
				Detail: fmt.Sprintf("server.default_scheduler_config.scheduler_algorithm %q is not a scheduler algorithm: want %q or %q.",
					alg, structs.SchedulerAlgorithmBinpack, structs.SchedulerAlgorithmSpread),
				Subject: &r,
			})
		}
		cfg.SchedulerAlgorithm = alg
	}
	if present(f.PauseEvalBroker) {
		var pause bool
		if d := gohcl.DecodeExpression(f.PauseEvalBroker, nil, &pause); d.HasErrors() {
			return nil, d
		}
		if pause {
			r := f.PauseEvalBroker.Range()
			return nil, append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported pause_eval_broker",
				Detail:   "server.default_scheduler_config.pause_eval_broker: orch cannot pause the eval broker; remove it or set it to false.",
				Subject:  &r,
			})
		}
	}
	set(&cfg.MemoryOversubscriptionEnabled, f.MemoryOversubscribe)
	set(&cfg.RejectJobRegistration, f.RejectJobRegistration)
	if p := f.PreemptionConfig; p != nil {
		set(&cfg.PreemptionConfig.SystemSchedulerEnabled, p.System)
		set(&cfg.PreemptionConfig.SysBatchSchedulerEnabled, p.SysBatch)
		set(&cfg.PreemptionConfig.BatchSchedulerEnabled, p.Batch)
		set(&cfg.PreemptionConfig.ServiceSchedulerEnabled, p.Service)
	}
	return cfg, nil
}

// present reports whether an optional attribute decoded as an expression
// was written: gohcl gives a missing one a null value.
func present(expr hcl.Expression) bool {
	if expr == nil {
		return false
	}
	v, diags := expr.Value(nil)
	return diags.HasErrors() || !v.IsNull()
}
