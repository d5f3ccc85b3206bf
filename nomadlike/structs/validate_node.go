package structs

// Validate reports every problem of a node a client asks to register,
// joined in one error with the field named in each line.
func (n *Node) Validate() error {
	var p problems
	if n.ID == "" {
		p.addf("ID", "missing node ID")
	}
	if n.SecretID == "" {
		p.addf("SecretID", "missing secret ID: the node needs it to authenticate later calls")
	}
	if n.Name == "" {
		p.addf("Name", "missing node name")
	}
	if n.Datacenter == "" {
		p.addf("Datacenter", "missing datacenter")
	}
	switch n.Status {
	case "", NodeStatusInit, NodeStatusReady, NodeStatusDown:
	default:
		p.addf("Status", "%q is not a node status: want %s, %s or %s", n.Status, NodeStatusInit, NodeStatusReady, NodeStatusDown)
	}
	switch n.SchedulingEligibility {
	case "", NodeSchedulingEligible, NodeSchedulingIneligible:
	default:
		p.addf("SchedulingEligibility", "%q: want %s or %s", n.SchedulingEligibility, NodeSchedulingEligible, NodeSchedulingIneligible)
	}
	if r := n.NodeResources; r != nil && r.MinDynamicPort > r.MaxDynamicPort && r.MaxDynamicPort != 0 {
		p.addf("NodeResources.MinDynamicPort", "%d is above MaxDynamicPort %d", r.MinDynamicPort, r.MaxDynamicPort)
	}
	return p.err()
}

// ValidNodeStatus reports whether status is one a node may be set to.
func ValidNodeStatus(status string) bool {
	switch status {
	case NodeStatusInit, NodeStatusReady, NodeStatusDown:
		return true
	}
	return false
}
