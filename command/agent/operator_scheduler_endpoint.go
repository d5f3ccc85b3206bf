package agent

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// operatorSchedulerConfiguration answers Nomad's
// {"SchedulerConfig": {...}, "Index": N, "KnownLeader", "LastContact"}.
func (s *HTTPServer) operatorSchedulerConfiguration(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.GenericRequest
	var out structs.SchedulerConfigurationResponse
	if err := s.query(w, r, structs.OperatorSchedulerGetConfigurationRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return out, nil
}

// operatorSchedulerUpdate replaces the configuration from the body (an
// api.SchedulerConfiguration); with ?cas=<index> only if it is still at
// that modify index. It answers Nomad's {"Updated": bool, "Index": N}.
func (s *HTTPServer) operatorSchedulerUpdate(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var in api.SchedulerConfiguration
	unknown, err := decodeBodyWarn(r, &in)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		names := make([]string, len(unknown))
		for i, u := range unknown {
			names[i], _, _ = strings.Cut(u, ":")
		}
		return nil, badRequest("unknown field(s) in the scheduler configuration: %s; valid fields are SchedulerAlgorithm, "+
			"PreemptionConfig (SystemSchedulerEnabled, SysBatchSchedulerEnabled, BatchSchedulerEnabled, ServiceSchedulerEnabled), "+
			"MemoryOversubscriptionEnabled, RejectJobRegistration and PauseEvalBroker", strings.Join(names, ", "))
	}
	args := structs.SchedulerSetConfigRequest{Config: ConvertSchedulerConfig(&in), WriteRequest: s.writeRequest(r)}
	if v, ok := r.URL.Query()["cas"]; ok {
		index, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil {
			return nil, badRequest("invalid cas %q: must be the configuration's ModifyIndex, a non-negative integer", v[0])
		}
		args.CAS = true
		args.Config.ModifyIndex = index
	}
	if err := args.Config.Validate(); err != nil {
		return nil, badRequest("%s", strings.TrimPrefix(err.Error(), structs.ErrBadRequest.Error()+": "))
	}
	var out structs.SchedulerSetConfigurationResponse
	if err := s.rpc.RPC(structs.OperatorSchedulerSetConfigurationRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return out, nil
}

// ConvertSchedulerConfig is the server form of an API scheduler
// configuration. The agent config's default_scheduler_config uses it too.
func ConvertSchedulerConfig(in *api.SchedulerConfiguration) structs.SchedulerConfiguration {
	return structs.SchedulerConfiguration{
		SchedulerAlgorithm: string(in.SchedulerAlgorithm),
		PreemptionConfig: structs.PreemptionConfig{
			SystemSchedulerEnabled:   in.PreemptionConfig.SystemSchedulerEnabled,
			SysBatchSchedulerEnabled: in.PreemptionConfig.SysBatchSchedulerEnabled,
			BatchSchedulerEnabled:    in.PreemptionConfig.BatchSchedulerEnabled,
			ServiceSchedulerEnabled:  in.PreemptionConfig.ServiceSchedulerEnabled,
		},
		MemoryOversubscriptionEnabled: in.MemoryOversubscriptionEnabled,
		RejectJobRegistration:         in.RejectJobRegistration,
		PauseEvalBroker:               in.PauseEvalBroker,
		ModifyIndex:                   in.ModifyIndex,
	}
}
