package agent

import (
	"io"
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestDefaultSchedulerConfig(t *testing.T) {
	withAlg := func(alg string, change func(*structs.SchedulerConfiguration)) *structs.SchedulerConfiguration {
		c := structs.DefaultSchedulerConfig()
		c.SchedulerAlgorithm = alg
		if change != nil {
			change(c)
		}
		return c
	}
	cases := []struct {
		name    string
		file    string
		want    *structs.SchedulerConfiguration
		wantErr string
	}{
		{name: "unset leaves the server default", file: `server { enabled = true }`},
		{name: "empty block is Nomad's defaults", file: "server {\n  default_scheduler_config {}\n}",
			want: structs.DefaultSchedulerConfig()},
		{name: "everything", file: `server {
  default_scheduler_config {
    scheduler_algorithm             = "spread"
    memory_oversubscription_enabled = true
    reject_job_registration         = true
    pause_eval_broker               = false
    preemption_config {
      batch_scheduler_enabled    = true
      system_scheduler_enabled   = false
      sysbatch_scheduler_enabled = true
      service_scheduler_enabled  = true
    }
  }
}`, want: withAlg("spread", func(c *structs.SchedulerConfiguration) {
			c.MemoryOversubscriptionEnabled, c.RejectJobRegistration = true, true
			c.PreemptionConfig = structs.PreemptionConfig{BatchSchedulerEnabled: true, SysBatchSchedulerEnabled: true, ServiceSchedulerEnabled: true}
		})},
		{name: "what preemption_config leaves out keeps its default", file: `server {
  default_scheduler_config {
    preemption_config { service_scheduler_enabled = true }
  }
}`, want: withAlg("binpack", func(c *structs.SchedulerConfiguration) {
			c.PreemptionConfig.ServiceSchedulerEnabled = true
		})},
		{name: "unknown algorithm at its line", file: "server {\n  default_scheduler_config {\n    scheduler_algorithm = \"roundrobin\"\n  }\n}",
			wantErr: `server.hcl:3,27-39: Invalid scheduler_algorithm; server.default_scheduler_config.scheduler_algorithm "roundrobin" is not a scheduler algorithm: want "binpack" or "spread"`},
		{name: "pause_eval_broker refused", file: "server {\n  default_scheduler_config {\n    pause_eval_broker = true\n  }\n}",
			wantErr: "server.hcl:3,25-29: Unsupported pause_eval_broker"},
		{name: "unknown key", file: "server {\n  default_scheduler_config {\n    algorithm = \"spread\"\n  }\n}",
			wantErr: `server.hcl:3,5-14: Unsupported argument; An argument named "algorithm" is not expected here`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"server.hcl": tc.file})
			c, err := LoadConfig([]string{"-server", "-data-dir", dir, "-config", dir + "/server.hcl"}, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("load: %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := c.Server.DefaultSchedulerConfig
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("default scheduler config %+v, want %+v", got, tc.want)
			}
		})
	}
}
