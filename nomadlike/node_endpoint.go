package nomadlike

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Node serves the Node.* RPCs: what clients call to join, heartbeat, learn
// their allocations and report on them.
type Node struct {
	srv *Server
}

// checkSecret refuses a call made with another node's secret. The secret
// is set by the node's first registration and never changes.
func checkSecret(node *structs.Node, secretID string) error {
	if node.SecretID != "" && node.SecretID != secretID {
		return fmt.Errorf("node %q: secret ID does not match: %w", node.ID, structs.ErrPermission)
	}
	return nil
}

// heartbeatTTL is the TTL to give a node now, and arms its timer with the
// grace on top.
func (n *Node) heartbeatTTL(nodeID string) (time.Duration, error) {
	nodes, err := n.srv.fsm.State().Nodes(nil)
	if err != nil {
		return 0, err
	}
	ttl := HeartbeatTTL(len(nodes), n.srv.config.MinHeartbeatTTL, DefaultMaxHeartbeatsPerSecond)
	n.srv.heartbeater.ResetTTL(nodeID, ttl+n.srv.config.HeartbeatGrace)
	return ttl, nil
}

// Register adds a node or updates its fingerprint, and tells it how often
// to heartbeat. A node that registers as ready triggers evaluations of the
// jobs with allocations on it and unblocks waiting evaluations.
func (n *Node) Register(args *structs.NodeRegisterRequest, reply *structs.NodeUpdateResponse) error {
	countRPC(structs.NodeRegisterRPC)
	if handled, err := n.srv.forward(structs.NodeRegisterRPC, args, args, reply); handled {
		return err
	}
	if args.Node == nil {
		return fmt.Errorf("node register: %w: missing node", structs.ErrBadRequest)
	}
	if err := args.Node.Validate(); err != nil {
		return fmt.Errorf("node register: %w: invalid node:\n%w", structs.ErrBadRequest, err)
	}
	node := args.Node.Copy()
	if node.Status == "" {
		node.Status = structs.NodeStatusInit
	}
	node.ComputeClass()
	existing, err := n.srv.fsm.State().NodeByID(nil, node.ID)
	if err != nil {
		return fmt.Errorf("node register: %w", err)
	}
	if existing != nil {
		if err := checkSecret(existing, node.SecretID); err != nil {
			return fmt.Errorf("node register: %w", err)
		}
	}
	if node.StatusUpdatedAt == 0 {
		node.StatusUpdatedAt = time.Now().Unix()
	}
	index, _, err := n.srv.raftApply(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node})
	if err != nil {
		return fmt.Errorf("node register %q: %w", node.ID, err)
	}
	reply.NodeModifyIndex = index
	reply.Index = index
	ready := node.Status == structs.NodeStatusReady
	becameReady := ready && (existing == nil || existing.Status != structs.NodeStatusReady)
	if ready && (becameReady || existing.ComputedClass != node.ComputedClass) {
		// A new fingerprint (a driver turned healthy, new meta) may be
		// what a blocked evaluation waits for.
		n.srv.blockedEvals.Unblock(node.ComputedClass, index)
	}
	if becameReady {
		ids, evalIndex, err := n.srv.createNodeEvals(node.ID, index)
		if err != nil {
			return fmt.Errorf("node register %q: %w", node.ID, err)
		}
		reply.EvalIDs, reply.EvalCreateIndex = ids, evalIndex
	}
	if node.Status != structs.NodeStatusDown {
		if reply.HeartbeatTTL, err = n.heartbeatTTL(node.ID); err != nil {
			return fmt.Errorf("node register %q: %w", node.ID, err)
		}
	}
	n.fillServers(reply)
	return nil
}

// fillServers tells a node where the servers are: the RPC address of
// every server in the Raft configuration (Raft shares the RPC port), so
// a client can fail over to any of them.
func (n *Node) fillServers(reply *structs.NodeUpdateResponse) {
	reply.LeaderRPCAddr = n.srv.Leader()
	reply.Servers = n.srv.serverRPCAddrs()
	if nodes, err := n.srv.fsm.State().Nodes(nil); err == nil {
		reply.NumNodes = int32(len(nodes))
	}
	n.srv.setQueryMeta(&reply.QueryMeta)
}

// UpdateStatus is the heartbeat: it renews the node's TTL and records a
// status change. Going down or becoming ready creates node-update
// evaluations for the jobs with allocations on the node.
func (n *Node) UpdateStatus(args *structs.NodeUpdateStatusRequest, reply *structs.NodeUpdateResponse) error {
	countRPC(structs.NodeUpdateStatusRPC)
	if handled, err := n.srv.forward(structs.NodeUpdateStatusRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("NodeID", args.NodeID); err != nil {
		return fmt.Errorf("node update status: %w", err)
	}
	if !structs.ValidNodeStatus(args.Status) {
		return fmt.Errorf("node update status: %w: Status %q: want %s, %s or %s", structs.ErrBadRequest,
			args.Status, structs.NodeStatusInit, structs.NodeStatusReady, structs.NodeStatusDown)
	}
	node, err := n.srv.fsm.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return fmt.Errorf("node update status: %w", err)
	}
	if node == nil {
		return fmt.Errorf("node update status: node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	if err := checkSecret(node, args.SecretID); err != nil {
		return fmt.Errorf("node update status: %w", err)
	}
	updatedAt := args.UpdatedAt
	if updatedAt == 0 {
		updatedAt = time.Now().Unix()
	}
	res, err := n.srv.updateNodeStatus(args.NodeID, args.Status, updatedAt)
	if err != nil {
		return fmt.Errorf("node update status: %w", err)
	}
	reply.NodeModifyIndex = res.index
	reply.Index = res.index
	reply.EvalIDs, reply.EvalCreateIndex = res.evalIDs, res.evalsIndex
	if args.Status != structs.NodeStatusDown {
		if reply.HeartbeatTTL, err = n.heartbeatTTL(args.NodeID); err != nil {
			return fmt.Errorf("node update status: %w", err)
		}
	}
	n.fillServers(reply)
	return nil
}

// GetNode returns a node, or a nil Node when there is none.
func (n *Node) GetNode(args *structs.NodeSpecificRequest, reply *structs.SingleNodeResponse) error {
	countRPC(structs.NodeGetNodeRPC)
	if handled, err := n.srv.forward(structs.NodeGetNodeRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("NodeID", args.NodeID); err != nil {
		return fmt.Errorf("node get: %w", err)
	}
	return n.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			node, err := st.NodeByID(ws, args.NodeID)
			if err != nil {
				return 0, err
			}
			reply.Node = node
			if node != nil {
				return node.ModifyIndex, nil
			}
			return st.Index(state.TableNodes)
		})
}

// List returns node stubs, filtered by ID prefix.
func (n *Node) List(args *structs.NodeListRequest, reply *structs.NodeListResponse) error {
	countRPC(structs.NodeListRPC)
	if handled, err := n.srv.forward(structs.NodeListRPC, args, args, reply); handled {
		return err
	}
	return n.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			nodes, err := st.NodesByIDPrefix(ws, args.Prefix)
			if err != nil {
				return 0, err
			}
			stubs := make([]*structs.NodeListStub, 0, len(nodes))
			for _, node := range nodes {
				stub := node.Stub()
				if args.Resources {
					stub.NodeResources, stub.ReservedResources = node.NodeResources, node.ReservedResources
				}
				stubs = append(stubs, stub)
			}
			reply.Nodes = stubs
			return st.Index(state.TableNodes)
		})
}

// GetClientAllocs maps each allocation of a node to its AllocModifyIndex.
// The index it answers with is the highest AllocModifyIndex, so a client's
// own status updates do not wake its blocking query; only server-side
// changes do.
func (n *Node) GetClientAllocs(args *structs.NodeSpecificRequest, reply *structs.NodeClientAllocsResponse) error {
	countRPC(structs.NodeGetClientAllocsRPC)
	if handled, err := n.srv.forward(structs.NodeGetClientAllocsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("NodeID", args.NodeID); err != nil {
		return fmt.Errorf("node get client allocs: %w", err)
	}
	return n.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			node, err := st.NodeByID(ws, args.NodeID)
			if err != nil {
				return 0, err
			}
			if node == nil {
				return 0, fmt.Errorf("node get client allocs: node %q: %w", args.NodeID, structs.ErrNotFound)
			}
			if err := checkSecret(node, args.SecretID); err != nil {
				return 0, fmt.Errorf("node get client allocs: %w", err)
			}
			allocs, err := st.AllocsByNode(ws, args.NodeID)
			if err != nil {
				return 0, err
			}
			reply.Allocs = make(map[string]uint64, len(allocs))
			var maxIndex uint64
			for _, a := range allocs {
				reply.Allocs[a.ID] = a.AllocModifyIndex
				maxIndex = max(maxIndex, a.AllocModifyIndex)
			}
			if maxIndex == 0 {
				// No allocations yet: the node's own index still lets
				// the client block until something is placed.
				maxIndex = node.CreateIndex
			}
			return maxIndex, nil
		})
}

// GetAllocs returns every allocation on a node, in every namespace and
// whatever its status: an operator's view of the node (Nomad's
// /v1/node/:id/allocations), so it asks for no node secret. A node that
// never existed has no allocations rather than being an error, so a
// blocking query may wait for the first. The index is the newest
// allocation's ModifyIndex, so a blocking query wakes only for changes on
// this node.
func (n *Node) GetAllocs(args *structs.NodeSpecificRequest, reply *structs.NodeAllocsResponse) error {
	countRPC(structs.NodeGetAllocsRPC)
	if handled, err := n.srv.forward(structs.NodeGetAllocsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("NodeID", args.NodeID); err != nil {
		return fmt.Errorf("node get allocs: %w", err)
	}
	return n.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			allocs, err := st.AllocsByNode(ws, args.NodeID)
			if err != nil {
				return 0, err
			}
			reply.Allocs = allocs
			var maxIndex uint64
			for _, a := range allocs {
				maxIndex = max(maxIndex, a.ModifyIndex)
			}
			if maxIndex == 0 {
				return st.Index(state.TableAllocs)
			}
			return maxIndex, nil
		})
}

// UpdateAlloc records a batch of client-side allocation updates. An
// allocation of a service or batch job that newly failed gets an
// alloc-failure evaluation in the same entry, so it is rescheduled.
func (n *Node) UpdateAlloc(args *structs.AllocUpdateRequest, reply *structs.GenericResponse) error {
	countRPC(structs.NodeUpdateAllocRPC)
	if handled, err := n.srv.forward(structs.NodeUpdateAllocRPC, args, args, reply); handled {
		return err
	}
	if len(args.Alloc) == 0 {
		return fmt.Errorf("node update alloc: %w: missing allocations", structs.ErrBadRequest)
	}
	st := n.srv.fsm.State()
	var evals []*structs.Evaluation
	evalForJob := make(map[[2]string]bool)
	freedOn := make(map[string]struct{})
	now := time.Now().UnixNano()
	for i, update := range args.Alloc {
		if update == nil || update.ID == "" {
			return fmt.Errorf("node update alloc: %w: Alloc[%d]: missing allocation ID", structs.ErrBadRequest, i)
		}
		existing, err := st.AllocByID(nil, update.ID)
		if err != nil {
			return fmt.Errorf("node update alloc: %w", err)
		}
		if existing == nil {
			continue
		}
		if update.ClientTerminalStatus() && !existing.ClientTerminalStatus() {
			freedOn[existing.NodeID] = struct{}{}
		}
		trigger := allocUpdateTrigger(existing, update)
		job := existing.Job
		key := [2]string{existing.Namespace, existing.JobID}
		if trigger == "" || evalForJob[key] {
			continue
		}
		evalForJob[key] = true
		evals = append(evals, &structs.Evaluation{
			ID:             uuid.NewString(),
			Namespace:      existing.Namespace,
			Priority:       job.Priority,
			Type:           job.Type,
			TriggeredBy:    trigger,
			JobID:          existing.JobID,
			JobModifyIndex: job.JobModifyIndex,
			Status:         structs.EvalStatusPending,
			CreateTime:     now,
			ModifyTime:     now,
		})
	}
	req := &structs.AllocUpdateRequest{Alloc: args.Alloc, Evals: evals, WriteRequest: args.WriteRequest}
	index, _, err := n.srv.raftApply(structs.AllocClientUpdateRequestType, req)
	if err != nil {
		return fmt.Errorf("node update alloc: %w", err)
	}
	n.srv.unblockNodes(freedOn, index)
	reply.Index = index
	return nil
}
