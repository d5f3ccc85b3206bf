package nomadlike

import (
	"fmt"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// UpdateEligibility marks a node eligible or ineligible for new work.
// A draining node cannot be made eligible: the drain would keep
// emptying it, so the operator must end the drain instead.
func (n *Node) UpdateEligibility(args *structs.NodeUpdateEligibilityRequest, reply *structs.GenericResponse) error {
	countRPC(structs.NodeUpdateEligibilityRPC)
	if handled, err := n.srv.forward(structs.NodeUpdateEligibilityRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("NodeID", args.NodeID); err != nil {
		return fmt.Errorf("node update eligibility: %w", err)
	}
	switch args.Eligibility {
	case structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible:
	default:
		return fmt.Errorf("node update eligibility: %w: Eligibility %q: want %s or %s", structs.ErrBadRequest,
			args.Eligibility, structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible)
	}
	node, err := n.srv.fsm.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return fmt.Errorf("node update eligibility: %w", err)
	}
	if node == nil {
		return fmt.Errorf("node update eligibility: node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	if node.Drain && args.Eligibility == structs.NodeSchedulingEligible {
		return fmt.Errorf("node update eligibility: %w: node %q is draining; disable the drain to make it eligible",
			structs.ErrBadRequest, args.NodeID)
	}
	req := *args
	if req.UpdatedAt == 0 {
		req.UpdatedAt = time.Now().Unix()
	}
	index, _, err := n.srv.raftApply(structs.NodeUpdateEligibilityReqType, &req)
	if err != nil {
		return fmt.Errorf("node update eligibility: %w", err)
	}
	if args.Eligibility == structs.NodeSchedulingEligible {
		// Work blocked for lack of nodes may fit on this one now.
		n.srv.blockedEvals.Unblock(node.ComputedClass, index)
	}
	reply.Index = index
	return nil
}

// UpdateDrain starts a drain (DrainStrategy set) or ends one. The leader's
// drainer does the migrating; this only records the operator's wish.
func (n *Node) UpdateDrain(args *structs.NodeUpdateDrainRequest, reply *structs.GenericResponse) error {
	countRPC(structs.NodeUpdateDrainRPC)
	if handled, err := n.srv.forward(structs.NodeUpdateDrainRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("NodeID", args.NodeID); err != nil {
		return fmt.Errorf("node update drain: %w", err)
	}
	node, err := n.srv.fsm.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return fmt.Errorf("node update drain: %w", err)
	}
	if node == nil {
		return fmt.Errorf("node update drain: node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	now := time.Now()
	req := *args
	if req.DrainStrategy != nil {
		// The deadline is fixed here, once, so every server and a
		// later leader agree on when the drain is forced.
		req.DrainStrategy = structs.NewDrainStrategy(args.DrainStrategy.DrainSpec, now)
	}
	if req.UpdatedAt == 0 {
		req.UpdatedAt = now.Unix()
	}
	index, _, err := n.srv.raftApply(structs.NodeUpdateDrainRequestType, &req)
	if err != nil {
		return fmt.Errorf("node update drain: %w", err)
	}
	if req.DrainStrategy == nil && req.MarkEligible {
		n.srv.blockedEvals.Unblock(node.ComputedClass, index)
	}
	reply.Index = index
	return nil
}

func (f *FSM) applyNodeDrain(buf []byte, index uint64) ([]string, error) {
	var req structs.NodeUpdateDrainRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode node drain update: %w", err)
	}
	f.noteNodes(req.NodeID)
	return nil, f.State().UpdateNodeDrain(index, req.NodeID, req.DrainStrategy, req.MarkEligible, req.UpdatedAt)
}
