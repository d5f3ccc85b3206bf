package api

import "net/url"

// ScalingPolicy is a group's scaling block and, from /v1/scaling, a
// policy, in Nomad's shape. Policy is the policy block as a map; orch's
// servers read it themselves (see website/autoscaling.md for its keys).
type ScalingPolicy struct {
	ID          string                 `json:",omitempty"`
	Namespace   string                 `json:",omitempty"`
	Type        string                 `json:",omitempty"`
	Target      map[string]string      `json:",omitempty"`
	Min         *int64                 `json:",omitempty"`
	Max         *int64                 `json:",omitempty"`
	Policy      map[string]interface{} `json:",omitempty"`
	Enabled     *bool                  `json:",omitempty"`
	CreateIndex uint64                 `json:",omitempty"`
	ModifyIndex uint64                 `json:",omitempty"`
}

// ScalingPolicyTypeHorizontal is a group count policy.
const ScalingPolicyTypeHorizontal = "horizontal"

// canonicalizeScaling applies Nomad's defaults: a group with a scaling
// block and no count starts at min; min defaults to the count; enabled
// defaults to true.
func (g *TaskGroup) canonicalizeScaling() {
	s := g.Scaling
	if s == nil {
		return
	}
	if g.Count == nil && s.Min != nil {
		n := int(*s.Min)
		g.Count = &n
	}
	if s.Min == nil {
		n := int64(DefaultGroupCount)
		if g.Count != nil {
			n = int64(*g.Count)
		}
		s.Min = &n
	}
	if s.Enabled == nil {
		t := true
		s.Enabled = &t
	}
	if s.Type == "" {
		s.Type = ScalingPolicyTypeHorizontal
	}
}

// ScalingEvent is one scaling action or failed attempt of a group.
type ScalingEvent struct {
	Time          uint64
	Count         *int64
	PreviousCount int64
	Message       string
	Error         bool
	Meta          map[string]interface{}
	EvalID        *string
	CreateIndex   uint64
}

// ScalingRequest is the body of POST /v1/job/:id/scale (Nomad's).
type ScalingRequest struct {
	Count          *int64
	Target         map[string]string
	Message        string
	Error          bool
	Meta           map[string]interface{}
	PolicyOverride bool
	// JobModifyIndex, when not 0, applies the scale only if the job is
	// still at that modify index (Nomad's; -check-index).
	JobModifyIndex uint64
	Namespace      string `json:",omitempty"`
}

// JobScaleStatusResponse is GET /v1/job/:id/scale.
type JobScaleStatusResponse struct {
	JobID          string
	Namespace      string
	JobCreateIndex uint64
	JobModifyIndex uint64
	JobStopped     bool
	TaskGroups     map[string]TaskGroupScaleStatus
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

// ScalingPolicyListStub is a row of /v1/scaling/policies.
type ScalingPolicyListStub struct {
	ID          string
	Enabled     bool
	Type        string
	Target      map[string]string
	CreateIndex uint64
	ModifyIndex uint64
}

// Scale sets a group's count; count nil records an event only. It
// returns the evaluation the change created.
func (j *Jobs) Scale(jobID, group string, count *int, message string, isError bool,
	meta map[string]interface{}, q *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	req := &ScalingRequest{Target: map[string]string{"Job": jobID, "Group": group},
		Message: message, Error: isError, Meta: meta}
	if count != nil {
		n := int64(*count)
		req.Count = &n
	}
	var resp JobRegisterResponse
	wm, err := j.client.write("PUT", "/v1/job/"+url.PathEscape(jobID)+"/scale", req, &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, wm, nil
}

// ScaleStatus returns each group's counts and recent scaling events.
func (j *Jobs) ScaleStatus(jobID string, q *QueryOptions) (*JobScaleStatusResponse, *QueryMeta, error) {
	var resp JobScaleStatusResponse
	qm, err := j.client.query("/v1/job/"+url.PathEscape(jobID)+"/scale", &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, qm, nil
}

// Scaling reads the scaling policies.
type Scaling struct {
	client *Client
}

// Scaling returns a handle on the scaling endpoints.
func (c *Client) Scaling() *Scaling { return &Scaling{client: c} }

// ListPolicies lists the scaling policies.
func (s *Scaling) ListPolicies(q *QueryOptions) ([]*ScalingPolicyListStub, *QueryMeta, error) {
	var resp []*ScalingPolicyListStub
	qm, err := s.client.query("/v1/scaling/policies", &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return resp, qm, nil
}

// GetPolicy returns one policy.
func (s *Scaling) GetPolicy(id string, q *QueryOptions) (*ScalingPolicy, *QueryMeta, error) {
	var resp ScalingPolicy
	qm, err := s.client.query("/v1/scaling/policy/"+url.PathEscape(id), &resp, q)
	if err != nil {
		return nil, nil, err
	}
	return &resp, qm, nil
}

// ScaleRequest sends a full scaling request (for -check-index and
// PolicyOverride).
func (j *Jobs) ScaleRequest(jobID string, req *ScalingRequest, q *WriteOptions) (*JobRegisterResponse, error) {
	var resp JobRegisterResponse
	if _, err := j.client.write("PUT", "/v1/job/"+url.PathEscape(jobID)+"/scale", req, &resp, q); err != nil {
		return nil, err
	}
	return &resp, nil
}
