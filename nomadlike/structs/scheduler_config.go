package structs

import (
	"errors"
	"fmt"
	"strings"
)

// SchedulerConfigRequestType is the Raft entry that stores the scheduler
// configuration (SchedulerSetConfigRequest). Numbers 25–29 are this
// feature's share of the append-only MessageType space.
const SchedulerConfigRequestType MessageType = 25

// Operator RPCs of the scheduler configuration. Both run on the leader.
const (
	// OperatorSchedulerGetConfigurationRPC reads the configuration
	// (GenericRequest, SchedulerConfigurationResponse).
	OperatorSchedulerGetConfigurationRPC = "Operator.SchedulerGetConfiguration"
	// OperatorSchedulerSetConfigurationRPC replaces it, optionally only
	// when it is unchanged since a given index (SchedulerSetConfigRequest,
	// SchedulerSetConfigurationResponse).
	OperatorSchedulerSetConfigurationRPC = "Operator.SchedulerSetConfiguration"
)

// Scheduler algorithms: how the fit of a node is scored.
const (
	// SchedulerAlgorithmBinpack prefers the fullest node that fits, so
	// whole nodes stay free for large allocations (the default).
	SchedulerAlgorithmBinpack = "binpack"
	// SchedulerAlgorithmSpread prefers the emptiest node, so load and
	// failures are spread over the cluster.
	SchedulerAlgorithmSpread = "spread"
)

// PreemptionPriorityDelta is how much lower than the placed job's priority
// a job's priority must be for its allocations to be preempted: jobs of
// nearly the same importance never evict each other, as in Nomad.
const PreemptionPriorityDelta = 10

// ErrPauseEvalBrokerUnsupported refuses PauseEvalBroker = true: orch keeps
// the field for Nomad clients that send it, but cannot pause the broker.
var ErrPauseEvalBrokerUnsupported = errors.New("PauseEvalBroker: pausing the eval broker is not supported by orch; set it to false")

// SchedulerConfiguration is the cluster-wide scheduler configuration, in
// Nomad's shape. It is stored in Raft, so every server's schedulers read
// the same one from their snapshots.
type SchedulerConfiguration struct {
	// SchedulerAlgorithm is "binpack" or "spread"; "" means binpack.
	SchedulerAlgorithm string
	// PreemptionConfig says which schedulers may evict lower-priority
	// allocations to place a job.
	PreemptionConfig PreemptionConfig
	// MemoryOversubscriptionEnabled lets tasks use memory_max: when
	// false the scheduler grants no memory above memory.
	MemoryOversubscriptionEnabled bool
	// RejectJobRegistration refuses job registrations with a permission
	// error, to shed load during an incident.
	RejectJobRegistration bool
	// PauseEvalBroker is accepted only as false; see
	// ErrPauseEvalBrokerUnsupported.
	PauseEvalBroker bool
	CreateIndex     uint64
	ModifyIndex     uint64
}

// PreemptionConfig enables preemption per scheduler type.
type PreemptionConfig struct {
	SystemSchedulerEnabled   bool
	SysBatchSchedulerEnabled bool
	BatchSchedulerEnabled    bool
	ServiceSchedulerEnabled  bool
}

// DefaultSchedulerConfig is what a cluster runs with until an operator
// sets one: Nomad's defaults, bin-packing, and preemption for system jobs
// only (they must run on every node, so they may make room).
func DefaultSchedulerConfig() *SchedulerConfiguration {
	return &SchedulerConfiguration{
		SchedulerAlgorithm: SchedulerAlgorithmBinpack,
		PreemptionConfig:   PreemptionConfig{SystemSchedulerEnabled: true},
	}
}

// EffectiveAlgorithm is the algorithm to use, binpack when unset.
func (c *SchedulerConfiguration) EffectiveAlgorithm() string {
	if c == nil || c.SchedulerAlgorithm == "" {
		return SchedulerAlgorithmBinpack
	}
	return c.SchedulerAlgorithm
}

// PreemptionEnabled reports whether the scheduler of jobType may preempt.
// A nil configuration means the defaults.
func (c *SchedulerConfiguration) PreemptionEnabled(jobType string) bool {
	if c == nil {
		c = DefaultSchedulerConfig()
	}
	p := c.PreemptionConfig
	switch jobType {
	case JobTypeSystem:
		return p.SystemSchedulerEnabled
	case JobTypeSysBatch:
		return p.SysBatchSchedulerEnabled
	case JobTypeBatch:
		return p.BatchSchedulerEnabled
	case JobTypeService:
		return p.ServiceSchedulerEnabled
	}
	return false
}

// Validate reports the first unusable field by name, with what is valid.
func (c *SchedulerConfiguration) Validate() error {
	if c == nil {
		return fmt.Errorf("%w: SchedulerConfig: a configuration is required", ErrBadRequest)
	}
	switch c.SchedulerAlgorithm {
	case "", SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread:
	default:
		return fmt.Errorf("%w: SchedulerAlgorithm: %q is not a scheduler algorithm: want %q or %q",
			ErrBadRequest, c.SchedulerAlgorithm, SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread)
	}
	if c.PauseEvalBroker {
		return fmt.Errorf("%w: %w", ErrBadRequest, ErrPauseEvalBrokerUnsupported)
	}
	return nil
}

// Copy returns a copy; the configuration holds no references.
func (c *SchedulerConfiguration) Copy() *SchedulerConfiguration {
	if c == nil {
		return nil
	}
	out := *c
	return &out
}

// String is a one-line summary for logs.
func (c *SchedulerConfiguration) String() string {
	if c == nil {
		return "<nil>"
	}
	var on []string
	p := c.PreemptionConfig
	for _, e := range []struct {
		name string
		on   bool
	}{
		{JobTypeSystem, p.SystemSchedulerEnabled}, {JobTypeSysBatch, p.SysBatchSchedulerEnabled},
		{JobTypeBatch, p.BatchSchedulerEnabled}, {JobTypeService, p.ServiceSchedulerEnabled},
	} {
		if e.on {
			on = append(on, e.name)
		}
	}
	return fmt.Sprintf("algorithm=%s preemption=[%s] memory_oversubscription=%t reject_job_registration=%t",
		c.EffectiveAlgorithm(), strings.Join(on, ","), c.MemoryOversubscriptionEnabled, c.RejectJobRegistration)
}

// SchedulerSetConfigRequest replaces the scheduler configuration. With
// CAS, it applies only when the stored configuration's ModifyIndex is
// still Config.ModifyIndex (0: only when none is stored yet).
type SchedulerSetConfigRequest struct {
	Config SchedulerConfiguration
	CAS    bool
	WriteRequest
}

// SchedulerConfigurationResponse is the stored configuration; Index is
// the Raft index it was written at.
type SchedulerConfigurationResponse struct {
	SchedulerConfig *SchedulerConfiguration
	QueryMeta
}

// SchedulerSetConfigurationResponse says whether the configuration was
// written (false: a check-and-set found it changed) and at which index.
type SchedulerSetConfigurationResponse struct {
	Updated bool
	WriteMeta
}
