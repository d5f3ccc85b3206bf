package nomadlike

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// newPortsReason checks the host ports of the plan's allocations that are
// new to the node, and says why they cannot be committed, or "": none may
// be a port the node's operator reserved, and a dynamic port must lie in
// the node's dynamic range. The scheduler ensures both against its
// snapshot; the node may have registered a new configuration since.
//
// Allocations already on the node are not judged: they keep the ports
// they were given even when the operator reserved one of them later, and
// refusing them would refuse every later plan touching the node. Port
// collisions are allocsFit's, over all allocations.
func newPortsReason(node *structs.Node, placed []*structs.Allocation, existing map[string]struct{}) string {
	reserved, err := parsePortRanges(nodeReservedPorts(node))
	if err != nil {
		return fmt.Sprintf("node reserved ports: %v", err)
	}
	lo, hi := nodeDynamicRange(node)
	for _, a := range placed {
		if _, old := existing[a.ID]; old || a.TerminalStatus() || a.AllocatedResources == nil {
			continue
		}
		for _, p := range allocPorts(a) {
			if reserved.contains(p) {
				return fmt.Sprintf("port %d of allocation %s is reserved on the node", p, a.ID)
			}
		}
		for _, p := range dynamicPorts(a.AllocatedResources) {
			if p.Value < lo || p.Value > hi {
				return fmt.Sprintf("dynamic port %s=%d of allocation %s is outside the node's dynamic range %d-%d", p.Label, p.Value, a.ID, lo, hi)
			}
		}
	}
	return ""
}

// nodeDynamicRange is the range the scheduler picks dynamic ports from on
// node: its configured one, or Nomad's default when it states none.
func nodeDynamicRange(node *structs.Node) (int, int) {
	if r := node.NodeResources; r != nil && r.MinDynamicPort > 0 && r.MaxDynamicPort >= r.MinDynamicPort {
		return r.MinDynamicPort, r.MaxDynamicPort
	}
	return structs.DefaultMinDynamicPort, structs.DefaultMaxDynamicPort
}

func dynamicPorts(r *structs.AllocatedResources) []structs.Port {
	var out []structs.Port
	for _, n := range r.Shared.Networks {
		out = append(out, n.DynamicPorts...)
	}
	for _, t := range r.Tasks {
		for _, n := range t.Networks {
			out = append(out, n.DynamicPorts...)
		}
	}
	return out
}
