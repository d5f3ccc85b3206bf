package structs

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Scaling RPCs and Raft messages (issue 8).
const (
	JobScaleRPC       = "Job.Scale"
	JobScaleStatusRPC = "Job.ScaleStatus"
	// ScalingListPoliciesRPC and ScalingGetPolicyRPC read the policies
	// derived from the registered jobs.
	ScalingListPoliciesRPC = "Scaling.ListPolicies"
	ScalingGetPolicyRPC    = "Scaling.GetPolicy"
	// NodeEmitAllocMetricsRPC carries a client's per-allocation usage
	// aggregates to the leader's autoscaler; never through Raft.
	NodeEmitAllocMetricsRPC = "Node.EmitAllocMetrics"
)

const (
	// JobScaleRequestType registers a job whose group count changed
	// together with its evaluation and the scaling event, in one entry,
	// so an action is never applied without its record (or twice).
	JobScaleRequestType MessageType = 55
	// ScalingEventRequestType records a scaling event that changes no
	// count (an error, or a scale request naming no count).
	ScalingEventRequestType MessageType = 56
)

// ScalingPolicyTypeHorizontal is the only policy type: a group's count.
const ScalingPolicyTypeHorizontal = "horizontal"

// Scaling targets, the keys of ScalingPolicy.Target, as Nomad's.
const (
	ScalingTargetNamespace = "Namespace"
	ScalingTargetJob       = "Job"
	ScalingTargetGroup     = "Group"
)

// MaxScalingEventsPerGroup is how many events are kept per group, newest
// first, as Nomad keeps.
const MaxScalingEventsPerGroup = 20

// Orch source queries: the group's average of each allocation's usage as a
// percent of what its tasks asked for, or its requests per second (named
// after the Nomad autoscaler's nomad-apm queries).
const (
	ScalingSourceOrch       = "orch"
	ScalingSourcePrometheus = "prometheus"
	ScalingStrategyTarget   = "target-value"
	QueryAvgCPUAllocated    = "avg_cpu-allocated"
	QueryAvgMemoryAllocated = "avg_memory-allocated"
	QueryAvgRPS             = "avg_rps"
)

// Defaults of the policy fields orch reads.
const (
	DefaultScalingEvaluationInterval = 10 * time.Second
	DefaultScalingCooldown           = time.Minute
	DefaultScaleDownStabilization    = 300 * time.Second
)

// ScalingPolicy is a group's scaling block, in Nomad's shape. Policy, the
// free-form map Nomad hands to its external autoscaler, is orch's own
// input here: it is decoded into Config when the job is converted, and
// rebuilt from Config for the API (it does not cross Raft, whose msgpack
// would turn nested maps into map[interface{}]interface{}).
type ScalingPolicy struct {
	ID      string
	Type    string
	Target  map[string]string
	Min     int64
	Max     int64
	Policy  map[string]interface{} `codec:"-"`
	Enabled bool
	// Config is the decoded policy; nil when the block has no policy,
	// which leaves the group to manual `job scale` within Min/Max.
	Config *AutoscalePolicy `json:"-"`
	// PolicyError is why the Policy map could not be decoded; Validate
	// reports it, so such a job is never registered.
	PolicyError string `json:"-"`
	CreateIndex uint64
	ModifyIndex uint64
}

// AutoscalePolicy is the typed policy block orch's autoscaler runs.
type AutoscalePolicy struct {
	EvaluationInterval time.Duration
	Cooldown           time.Duration
	Checks             []*ScalingCheck
	// ScaleDownStabilization, ScaleUp and ScaleDown are orch extensions
	// after Kubernetes' HorizontalPodAutoscaler behaviour.
	ScaleDownStabilization time.Duration
	ScaleUp                *ScalingLimit
	ScaleDown              *ScalingLimit
}

// ScalingCheck is one check "name" block with a target-value strategy.
type ScalingCheck struct {
	Name     string
	Source   string
	Query    string
	Strategy string
	Target   float64
}

// ScalingLimit caps the change per Period: Allocations, or Percent of the
// current count.
type ScalingLimit struct {
	Allocations int
	Percent     int
	Period      time.Duration
}

// ScalingPolicyID derives a policy's ID from its target, so every server
// computes the same ID and it survives new versions of the job.
func ScalingPolicyID(namespace, job, group string) string {
	sum := sha256.Sum256([]byte(namespace + "\x00" + job + "\x00" + group))
	b := sum[:16]
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Validate checks the bounds against the group's count and the policy.
func (p *ScalingPolicy) Validate(count int) error {
	if p == nil {
		return nil
	}
	var errs []error
	if p.Max < 0 || p.Min < 0 {
		errs = append(errs, fmt.Errorf("scaling: min (%d) and max (%d) must not be negative", p.Min, p.Max))
	}
	if p.Min > p.Max {
		errs = append(errs, fmt.Errorf("scaling: min (%d) must not be above max (%d)", p.Min, p.Max))
	}
	if int64(count) < p.Min || int64(count) > p.Max {
		errs = append(errs, fmt.Errorf("scaling: count (%d) must be within min (%d) and max (%d)", count, p.Min, p.Max))
	}
	if p.PolicyError != "" {
		errs = append(errs, fmt.Errorf("scaling: policy: %s", p.PolicyError))
	}
	if p.Config != nil {
		errs = append(errs, p.Config.Validate())
	}
	return errors.Join(errs...)
}

// Validate checks what the autoscaler relies on.
func (c *AutoscalePolicy) Validate() error {
	var errs []error
	if c.EvaluationInterval <= 0 {
		errs = append(errs, fmt.Errorf("scaling policy: evaluation_interval must be above 0"))
	}
	if c.Cooldown < 0 || c.ScaleDownStabilization < 0 {
		errs = append(errs, fmt.Errorf("scaling policy: cooldown and stabilization_window must not be negative"))
	}
	seen := map[string]bool{}
	for _, ch := range c.Checks {
		if seen[ch.Name] {
			errs = append(errs, fmt.Errorf("scaling policy: check %q defined twice", ch.Name))
		}
		seen[ch.Name] = true
		errs = append(errs, ch.Validate())
	}
	for name, l := range map[string]*ScalingLimit{"scale_up": c.ScaleUp, "scale_down": c.ScaleDown} {
		if l == nil {
			continue
		}
		if (l.Allocations > 0) == (l.Percent > 0) || l.Allocations < 0 || l.Percent < 0 {
			errs = append(errs, fmt.Errorf("scaling policy: %s needs exactly one of allocations or percent above 0", name))
		}
		if l.Period <= 0 {
			errs = append(errs, fmt.Errorf("scaling policy: %s period must be above 0", name))
		}
	}
	return errors.Join(errs...)
}

// Validate checks one check's source, query and strategy.
func (c *ScalingCheck) Validate() error {
	where := fmt.Sprintf("scaling policy: check %q", c.Name)
	var errs []error
	switch c.Source {
	case ScalingSourceOrch:
		switch c.Query {
		case QueryAvgCPUAllocated, QueryAvgMemoryAllocated, QueryAvgRPS:
		default:
			errs = append(errs, fmt.Errorf("%s: unknown orch query %q (valid: %s, %s, %s)", where, c.Query,
				QueryAvgCPUAllocated, QueryAvgMemoryAllocated, QueryAvgRPS))
		}
	case ScalingSourcePrometheus:
		if c.Query == "" {
			errs = append(errs, fmt.Errorf("%s: query is required for source %q", where, c.Source))
		}
	default:
		errs = append(errs, fmt.Errorf("%s: unknown source %q (valid: %s, %s)", where, c.Source, ScalingSourceOrch, ScalingSourcePrometheus))
	}
	if c.Strategy != ScalingStrategyTarget {
		errs = append(errs, fmt.Errorf("%s: unknown strategy %q (valid: %s)", where, c.Strategy, ScalingStrategyTarget))
	}
	if c.Target <= 0 {
		errs = append(errs, fmt.Errorf("%s: target (%v) must be above 0", where, c.Target))
	}
	return errors.Join(errs...)
}

// Copy returns a deep copy.
func (p *ScalingPolicy) Copy() *ScalingPolicy {
	if p == nil {
		return nil
	}
	c := *p
	c.Target = copyStringMap(p.Target)
	c.Policy = nil
	if p.Config != nil {
		cfg := *p.Config
		cfg.Checks = make([]*ScalingCheck, len(p.Config.Checks))
		for i, ch := range p.Config.Checks {
			cc := *ch
			cfg.Checks[i] = &cc
		}
		if p.Config.ScaleUp != nil {
			l := *p.Config.ScaleUp
			cfg.ScaleUp = &l
		}
		if p.Config.ScaleDown != nil {
			l := *p.Config.ScaleDown
			cfg.ScaleDown = &l
		}
		c.Config = &cfg
	}
	return &c
}

// ScalingEvent is one scaling action or failed attempt of a group.
type ScalingEvent struct {
	// Time is in Unix nanoseconds, as Nomad's.
	Time          int64
	Count         *int64
	PreviousCount int64
	Message       string
	Error         bool
	// Meta is text only (Nomad's is any JSON), so it crosses Raft's
	// msgpack unchanged.
	Meta        map[string]string
	EvalID      *string
	CreateIndex uint64
}

// JobScalingEvents is the scaling_event row of one job.
type JobScalingEvents struct {
	Namespace string
	JobID     string
	// ScalingEvents by group, newest first.
	ScalingEvents map[string][]*ScalingEvent
	ModifyIndex   uint64
}

// ScalingTarget names what a scale request changes.
type ScalingTarget struct {
	Job   string
	Group string
}

// JobScaleRequest is Nomad's: Target {Job, Group}; a nil Count records an
// event only.
type JobScaleRequest struct {
	JobID          string
	Target         map[string]string
	Count          *int64
	Message        string
	Error          bool
	Meta           map[string]string
	PolicyOverride bool
	// EnforceIndex, when set, applies the scale only if the job's
	// JobModifyIndex is still JobModifyIndex (orch's -check-index).
	EnforceIndex   bool
	JobModifyIndex uint64
	WriteRequest
}

// JobScaleApply is the Raft body of JobScaleRequestType and
// ScalingEventRequestType: the job version and eval (nil for an event
// only) with the event recorded for the group.
type JobScaleApply struct {
	Namespace string
	JobID     string
	Group     string
	Job       *Job
	Eval      *Evaluation
	Event     *ScalingEvent
}

// JobScaleStatusRequest asks for a job's scaling status.
type JobScaleStatusRequest struct {
	JobID string
	QueryOptions
}

// JobScaleStatusResponse is Nomad's.
type JobScaleStatusResponse struct {
	JobScaleStatus *JobScaleStatus
	QueryMeta
}

// JobScaleStatus is Nomad's shape of GET /v1/job/:id/scale.
type JobScaleStatus struct {
	JobID          string
	Namespace      string
	JobCreateIndex uint64
	JobModifyIndex uint64
	JobStopped     bool
	TaskGroups     map[string]*TaskGroupScaleStatus
}

// TaskGroupScaleStatus is one group's counts and recent events.
type TaskGroupScaleStatus struct {
	Desired   int
	Placed    int
	Running   int
	Healthy   int
	Unhealthy int
	Events    []*ScalingEvent
}

// ScalingPolicyListRequest lists policies, optionally of one job.
type ScalingPolicyListRequest struct {
	Job  string
	Type string
	QueryOptions
}

// ScalingPolicyListStub is Nomad's list row.
type ScalingPolicyListStub struct {
	ID          string
	Enabled     bool
	Type        string
	Target      map[string]string
	CreateIndex uint64
	ModifyIndex uint64
}

// ScalingPolicyListResponse lists policies.
type ScalingPolicyListResponse struct {
	Policies []*ScalingPolicyListStub
	QueryMeta
}

// ScalingPolicySpecificRequest names one policy.
type ScalingPolicySpecificRequest struct {
	ID string
	QueryOptions
}

// SingleScalingPolicyResponse returns one policy.
type SingleScalingPolicyResponse struct {
	Policy *ScalingPolicy
	QueryMeta
}

// AllocUsageMetric is one allocation's usage aggregate over a sample period.
type AllocUsageMetric struct {
	AllocID string
	// CPUPercent and MemoryPercent are of what the allocation's tasks
	// asked for in resources; RPS is requests per second, -1 when unknown.
	CPUPercent    float64
	MemoryPercent float64
	RPS           float64
}

// EmitAllocMetricsRequest carries a node's samples, authenticated by its
// secret.
type EmitAllocMetricsRequest struct {
	NodeID   string
	SecretID string
	// Time is when the client sampled, Unix nanoseconds.
	Time    int64
	Metrics []*AllocUsageMetric
	WriteRequest
}

// EmitAllocMetricsResponse acknowledges the samples.
type EmitAllocMetricsResponse struct {
	// Accepted is false when the answering server is no leader and
	// dropped them.
	Accepted bool
	QueryMeta
}

// validateScaling checks a group's scaling block against its job.
func (tg *TaskGroup) validateScaling(p *problems, j *Job) {
	if tg.Scaling == nil {
		return
	}
	path := fmt.Sprintf("TaskGroups[%q].Scaling", tg.Name)
	if j.Type == JobTypeSystem || j.Type == JobTypeSysBatch {
		p.addf(path, "a %s job runs on every node and cannot be scaled", j.Type)
		return
	}
	if err := tg.Scaling.Validate(tg.Count); err != nil {
		p.errs = append(p.errs, fmt.Errorf("%s: %w", path, err))
	}
}

// ScalingPolicies returns the job's policies with their targets filled
// in, one per group with a scaling block.
func (j *Job) ScalingPolicies() []*ScalingPolicy {
	var out []*ScalingPolicy
	for _, tg := range j.TaskGroups {
		if tg.Scaling == nil {
			continue
		}
		p := tg.Scaling.Copy()
		p.ID = ScalingPolicyID(j.Namespace, j.ID, tg.Name)
		p.Type = ScalingPolicyTypeHorizontal
		p.Target = map[string]string{ScalingTargetNamespace: j.Namespace, ScalingTargetJob: j.ID, ScalingTargetGroup: tg.Name}
		// A stopped job's policies are kept but not run.
		p.Enabled = p.Enabled && !j.Stop
		p.CreateIndex, p.ModifyIndex = j.CreateIndex, j.JobModifyIndex
		out = append(out, p)
	}
	return out
}

// PolicyMap renders the typed policy in the map shape of Nomad's API.
func (c *AutoscalePolicy) PolicyMap() map[string]interface{} {
	if c == nil {
		return nil
	}
	m := map[string]interface{}{
		"evaluation_interval": c.EvaluationInterval.String(),
		"cooldown":            c.Cooldown.String(),
	}
	checks := map[string]interface{}{}
	for _, ch := range c.Checks {
		checks[ch.Name] = map[string]interface{}{
			"source": ch.Source, "query": ch.Query,
			"strategy": map[string]interface{}{ch.Strategy: map[string]interface{}{"target": ch.Target}},
		}
	}
	m["check"] = checks
	down := map[string]interface{}{"stabilization_window": c.ScaleDownStabilization.String()}
	if c.ScaleDown != nil {
		for k, v := range c.ScaleDown.limitMap() {
			down[k] = v
		}
	}
	m["scale_down"] = down
	if c.ScaleUp != nil {
		m["scale_up"] = c.ScaleUp.limitMap()
	}
	return m
}

func (l *ScalingLimit) limitMap() map[string]interface{} {
	m := map[string]interface{}{"period": l.Period.String()}
	if l.Percent > 0 {
		m["percent"] = l.Percent
	} else {
		m["allocations"] = l.Allocations
	}
	return m
}

// EvalTriggerScaling is the trigger of the evaluation a scale creates, as
// Nomad's.
const EvalTriggerScaling = "job-scaling"

// MarshalJSON renders Policy from Config, so every /v1 answer carrying a
// policy (a job, a policy) shows Nomad's map without the server storing
// it.
func (p *ScalingPolicy) MarshalJSON() ([]byte, error) {
	type plain ScalingPolicy
	c := plain(*p)
	if c.Policy == nil && c.Config != nil {
		c.Policy = c.Config.PolicyMap()
	}
	return json.Marshal(&c)
}
