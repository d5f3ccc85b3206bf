package e2e

import (
	"fmt"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// TestNomadAPISchedulerConfiguration reads and changes the scheduler
// configuration of a dev agent with HashiCorp's Nomad Go client, check-and-set
// included, as Nomad's own `operator scheduler set-config` does.
func TestNomadAPISchedulerConfiguration(t *testing.T) {
	a := startAgent(t)
	c, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	op := c.Operator()
	var cur *nomad.SchedulerConfigurationResponse
	waitFor(t, 20*time.Second, "a stored scheduler configuration", func() (bool, string) {
		cur, _, err = op.SchedulerGetConfiguration(nil)
		if err != nil {
			return false, err.Error()
		}
		return cur.SchedulerConfig != nil && cur.SchedulerConfig.ModifyIndex > 0, fmt.Sprintf("%+v", cur.SchedulerConfig)
	})
	cfg := cur.SchedulerConfig
	if cfg.SchedulerAlgorithm != nomad.SchedulerAlgorithmBinpack || !cfg.PreemptionConfig.SystemSchedulerEnabled ||
		cfg.PreemptionConfig.ServiceSchedulerEnabled {
		t.Fatalf("default configuration %+v, want Nomad's defaults", cfg)
	}

	cfg.SchedulerAlgorithm = nomad.SchedulerAlgorithmSpread
	cfg.PreemptionConfig.ServiceSchedulerEnabled = true
	res, wm, err := op.SchedulerCASConfiguration(cfg, nil)
	if err != nil || !res.Updated || wm.LastIndex <= cfg.ModifyIndex {
		t.Fatalf("CAS: %+v %+v %v, want updated at a later index", res, wm, err)
	}
	if res, _, err := op.SchedulerCASConfiguration(cfg, nil); err != nil || res.Updated {
		t.Fatalf("stale CAS: %+v %v, want not updated", res, err)
	}
	after, _, err := op.SchedulerGetConfiguration(nil)
	if err != nil || after.SchedulerConfig.SchedulerAlgorithm != nomad.SchedulerAlgorithmSpread ||
		!after.SchedulerConfig.PreemptionConfig.ServiceSchedulerEnabled {
		t.Fatalf("after CAS: %+v %v", after.SchedulerConfig, err)
	}
}
