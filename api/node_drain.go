package api

import (
	"net/url"
	"time"
)

// DrainSpec is what an operator asks of a drain: Deadline zero means no
// deadline, negative forces the drain at once.
type DrainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

// DrainStrategy is the drain in force on a node.
type DrainStrategy struct {
	DrainSpec
	ForceDeadline time.Time
	StartedAt     time.Time
}

// NodeUpdateDrainRequest is the body of POST /v1/node/:id/drain. A nil
// DrainSpec ends the drain.
type NodeUpdateDrainRequest struct {
	NodeID       string
	DrainSpec    *DrainSpec
	MarkEligible bool
}

// NodeUpdateEligibilityRequest is the body of POST /v1/node/:id/eligibility.
type NodeUpdateEligibilityRequest struct {
	NodeID      string
	Eligibility string
}

// NodeDrainUpdateResponse answers a drain change.
type NodeDrainUpdateResponse struct {
	NodeModifyIndex uint64
}

// NodeEligibilityUpdateResponse answers an eligibility change.
type NodeEligibilityUpdateResponse struct {
	NodeModifyIndex uint64
}

// UpdateDrain starts a drain with spec, or ends it when spec is nil
// (markEligible then makes the node take work again).
func (n *Nodes) UpdateDrain(nodeID string, spec *DrainSpec, markEligible bool, q *WriteOptions) (*NodeDrainUpdateResponse, error) {
	req := &NodeUpdateDrainRequest{NodeID: nodeID, DrainSpec: spec, MarkEligible: markEligible}
	var out NodeDrainUpdateResponse
	wm, err := n.client.write("POST", "/v1/node/"+url.PathEscape(nodeID)+"/drain", req, &out, q)
	if err != nil {
		return nil, err
	}
	if out.NodeModifyIndex == 0 {
		out.NodeModifyIndex = wm.LastIndex
	}
	return &out, nil
}

// ToggleEligibility marks the node eligible or ineligible for new work.
func (n *Nodes) ToggleEligibility(nodeID string, eligible bool, q *WriteOptions) (*NodeEligibilityUpdateResponse, error) {
	e := NodeSchedulingIneligible
	if eligible {
		e = NodeSchedulingEligible
	}
	req := &NodeUpdateEligibilityRequest{NodeID: nodeID, Eligibility: e}
	var out NodeEligibilityUpdateResponse
	wm, err := n.client.write("POST", "/v1/node/"+url.PathEscape(nodeID)+"/eligibility", req, &out, q)
	if err != nil {
		return nil, err
	}
	if out.NodeModifyIndex == 0 {
		out.NodeModifyIndex = wm.LastIndex
	}
	return &out, nil
}
