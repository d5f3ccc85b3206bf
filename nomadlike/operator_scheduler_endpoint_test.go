package nomadlike_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// storedSchedulerConfig waits for the leader to have stored a scheduler
// configuration and returns it.
func storedSchedulerConfig(t *testing.T, rpc structs.RPCer) *structs.SchedulerConfigurationResponse {
	t.Helper()
	var out structs.SchedulerConfigurationResponse
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		out = structs.SchedulerConfigurationResponse{}
		if err := rpc.RPC(structs.OperatorSchedulerGetConfigurationRPC, &structs.GenericRequest{}, &out); err != nil {
			return err
		}
		if out.Index == 0 || out.SchedulerConfig == nil {
			return fmt.Errorf("no configuration stored yet: %+v", out)
		}
		return nil
	})
	return &out
}

func setSchedulerConfig(rpc structs.RPCer, cfg structs.SchedulerConfiguration, cas bool) (*structs.SchedulerSetConfigurationResponse, error) {
	var out structs.SchedulerSetConfigurationResponse
	err := rpc.RPC(structs.OperatorSchedulerSetConfigurationRPC, &structs.SchedulerSetConfigRequest{Config: cfg, CAS: cas}, &out)
	return &out, err
}

func TestOperator_SchedulerConfiguration(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	got := storedSchedulerConfig(t, s)
	if want := structs.DefaultSchedulerConfig(); got.SchedulerConfig.SchedulerAlgorithm != want.SchedulerAlgorithm ||
		got.SchedulerConfig.PreemptionConfig != want.PreemptionConfig || got.SchedulerConfig.ModifyIndex != got.Index {
		t.Fatalf("first leader stored %+v at %d, want Nomad's defaults at that index", got.SchedulerConfig, got.Index)
	}
	current := *got.SchedulerConfig

	stale := current
	stale.ModifyIndex--
	stale.SchedulerAlgorithm = structs.SchedulerAlgorithmSpread
	if resp, err := setSchedulerConfig(s, stale, true); err != nil || resp.Updated {
		t.Fatalf("stale check-and-set: %+v, %v; want not updated", resp, err)
	}
	next := current
	next.SchedulerAlgorithm = structs.SchedulerAlgorithmSpread
	next.PreemptionConfig.ServiceSchedulerEnabled = true
	resp, err := setSchedulerConfig(s, next, true)
	if err != nil || !resp.Updated || resp.Index <= got.Index {
		t.Fatalf("check-and-set at the current index: %+v, %v; want updated at a new index", resp, err)
	}
	after := storedSchedulerConfig(t, s)
	if after.SchedulerConfig.SchedulerAlgorithm != structs.SchedulerAlgorithmSpread ||
		!after.SchedulerConfig.PreemptionConfig.ServiceSchedulerEnabled || after.Index != resp.Index {
		t.Fatalf("after set: %+v at %d, want spread with service preemption at %d", after.SchedulerConfig, after.Index, resp.Index)
	}

	bad := []struct {
		name string
		cfg  structs.SchedulerConfiguration
		want string
	}{
		{"unknown algorithm", structs.SchedulerConfiguration{SchedulerAlgorithm: "roundrobin"}, `SchedulerAlgorithm: "roundrobin"`},
		{"pause eval broker", structs.SchedulerConfiguration{PauseEvalBroker: true}, "PauseEvalBroker"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := setSchedulerConfig(s, tc.cfg, false)
			if !errors.Is(err, structs.ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a bad request naming %s", err, tc.want)
			}
		})
	}
}

func TestOperator_SchedulerConfigurationAgentDefault(t *testing.T) {
	t.Parallel()
	def := structs.DefaultSchedulerConfig()
	def.SchedulerAlgorithm = structs.SchedulerAlgorithmSpread
	def.PreemptionConfig.BatchSchedulerEnabled = true
	s := nomadtest.TestServer(t, func(c *nomadlike.Config) {
		c.NumSchedulers = -1
		c.DefaultSchedulerConfig = def
	})
	got := storedSchedulerConfig(t, s).SchedulerConfig
	if got.SchedulerAlgorithm != structs.SchedulerAlgorithmSpread || !got.PreemptionConfig.BatchSchedulerEnabled ||
		!got.PreemptionConfig.SystemSchedulerEnabled {
		t.Fatalf("stored %+v, want the agent's default_scheduler_config", got)
	}
}

func TestOperator_RejectJobRegistration(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	cfg := *storedSchedulerConfig(t, s).SchedulerConfig
	cfg.RejectJobRegistration = true
	if _, err := setSchedulerConfig(s, cfg, false); err != nil {
		t.Fatal(err)
	}
	var resp structs.JobRegisterResponse
	err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: mock.Job()}, &resp)
	if !errors.Is(err, structs.ErrPermission) || !strings.Contains(err.Error(), "RejectJobRegistration") {
		t.Fatalf("register err = %v, want permission denied naming RejectJobRegistration", err)
	}
	cfg.RejectJobRegistration = false
	if _, err := setSchedulerConfig(s, cfg, false); err != nil {
		t.Fatal(err)
	}
	registerJob(t, s, mock.Job())
}
