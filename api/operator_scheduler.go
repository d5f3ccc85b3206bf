package api

import (
	"net/http"
	"strconv"
)

// SchedulerAlgorithm is how the scheduler scores a node's fit.
type SchedulerAlgorithm string

const (
	// SchedulerAlgorithmBinpack prefers the fullest node that fits.
	SchedulerAlgorithmBinpack SchedulerAlgorithm = "binpack"
	// SchedulerAlgorithmSpread prefers the emptiest node that fits.
	SchedulerAlgorithmSpread SchedulerAlgorithm = "spread"
)

// SchedulerConfiguration is the cluster's scheduler configuration, in
// Nomad's shape.
type SchedulerConfiguration struct {
	// SchedulerAlgorithm is "binpack" (the default) or "spread".
	SchedulerAlgorithm SchedulerAlgorithm
	// PreemptionConfig enables preemption per scheduler type.
	PreemptionConfig PreemptionConfig
	// MemoryOversubscriptionEnabled grants tasks their memory_max.
	MemoryOversubscriptionEnabled bool
	// RejectJobRegistration refuses job registrations.
	RejectJobRegistration bool
	// PauseEvalBroker must be false: orch cannot pause the broker.
	PauseEvalBroker bool
	CreateIndex     uint64
	ModifyIndex     uint64
}

// PreemptionConfig says which schedulers may evict allocations of
// lower-priority jobs (by at least 10) to place a job.
type PreemptionConfig struct {
	SystemSchedulerEnabled   bool
	SysBatchSchedulerEnabled bool
	BatchSchedulerEnabled    bool
	ServiceSchedulerEnabled  bool
}

// SchedulerConfigurationResponse is the configuration and the Raft index
// it was written at (QueryMeta.LastIndex).
type SchedulerConfigurationResponse struct {
	SchedulerConfig *SchedulerConfiguration
	QueryMeta
}

// SchedulerSetConfigurationResponse says whether a set took effect: a
// check-and-set answers Updated false when the configuration changed
// since the index it named.
type SchedulerSetConfigurationResponse struct {
	Updated bool
	WriteMeta
}

// SchedulerGetConfiguration reads the scheduler configuration.
func (op *Operator) SchedulerGetConfiguration(q *QueryOptions) (*SchedulerConfigurationResponse, *QueryMeta, error) {
	var out SchedulerConfigurationResponse
	qm, err := op.client.query("/v1/operator/scheduler/configuration", &out, q)
	if err != nil {
		return nil, nil, err
	}
	out.QueryMeta = *qm
	return &out, qm, nil
}

// SchedulerSetConfiguration replaces the scheduler configuration.
func (op *Operator) SchedulerSetConfiguration(conf *SchedulerConfiguration, q *WriteOptions) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
	return op.schedulerSet(conf, q, false)
}

// SchedulerCASConfiguration replaces the scheduler configuration only if
// it is still at conf.ModifyIndex; the response says whether it was.
func (op *Operator) SchedulerCASConfiguration(conf *SchedulerConfiguration, q *WriteOptions) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
	return op.schedulerSet(conf, q, true)
}

func (op *Operator) schedulerSet(conf *SchedulerConfiguration, q *WriteOptions, cas bool) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
	r := op.client.newRequest(http.MethodPut, "/v1/operator/scheduler/configuration")
	r.setWriteOptions(q)
	if cas {
		r.params.Set("cas", strconv.FormatUint(conf.ModifyIndex, 10))
	}
	if err := r.setJSONBody(conf); err != nil {
		return nil, nil, err
	}
	resp, rtt, err := op.client.do(r)
	if err != nil {
		return nil, nil, err
	}
	wm := &WriteMeta{RequestTime: rtt, LastIndex: parseQueryMeta(resp).LastIndex}
	var out SchedulerSetConfigurationResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, nil, err
	}
	out.WriteMeta = *wm
	return &out, wm, nil
}
