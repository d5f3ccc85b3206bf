package nomadlike

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

const (
	// barrierTimeout bounds the wait for the FSM to apply every entry of
	// earlier terms before the new leader acts on its state.
	barrierTimeout = time.Minute
	// establishRetry spaces out attempts to take up leadership duties.
	establishRetry = time.Second
	// reapBatch caps how many evaluations one Raft entry cancels.
	reapBatch = 128
	// statsPeriod is how often leader components emit gauges.
	statsPeriod = 10 * time.Second
)

// monitorLeadership starts the leader's duties when Raft elects this
// server and stops them when it steps down, until shutdown.
func (s *Server) monitorLeadership() {
	var stopCh chan struct{}
	var duties sync.WaitGroup
	stop := func() {
		if stopCh == nil {
			return
		}
		close(stopCh)
		duties.Wait()
		stopCh = nil
	}
	start := func() {
		stopCh = make(chan struct{})
		duties.Add(1)
		go func(stopCh chan struct{}) {
			defer duties.Done()
			s.leaderLoop(stopCh)
		}(stopCh)
	}
	for {
		select {
		case isLeader := <-s.leaderNotifyCh:
			switch {
			case isLeader && stopCh == nil:
				start()
				s.logger.Info("cluster leadership acquired")
			case !isLeader && stopCh != nil:
				stop()
				s.logger.Info("cluster leadership lost")
			}
		case errCh := <-s.reassertLeaderCh:
			// The duties hold work taken from the state a snapshot
			// restore just replaced: rebuild them from the new one.
			if stopCh == nil {
				errCh <- fmt.Errorf("reassert leadership: %w", structs.ErrNoLeader)
				continue
			}
			stop()
			start()
			s.logger.Info("leader duties restarted on restored state")
			errCh <- nil
		case <-s.shutdownCh:
			stop()
			return
		}
	}
}

// leaderLoop takes up the leader's duties, retrying until it succeeds or
// leadership ends, then holds them until stopCh closes.
func (s *Server) leaderLoop(stopCh chan struct{}) {
	var wg sync.WaitGroup
	defer func() {
		s.revokeLeadership()
		wg.Wait()
	}()
	for {
		err := s.establishLeadership(stopCh, &wg)
		if err == nil {
			break
		}
		s.logger.Error("failed to establish leadership", "error", err)
		s.revokeLeadership()
		select {
		case <-stopCh:
			return
		case <-time.After(establishRetry):
		}
	}
	<-stopCh
}

// establishLeadership waits until the FSM holds every committed entry,
// then enables the broker, blocked evals and plan queue, reloads the
// evaluations left in state, starts the plan applier and arms a heartbeat
// timer for every live node. Goroutines it starts join wg and stop with
// stopCh.
func (s *Server) establishLeadership(stopCh chan struct{}, wg *sync.WaitGroup) error {
	if err := s.raft.Barrier(barrierTimeout).Error(); err != nil {
		return fmt.Errorf("raft barrier: %w", err)
	}
	if err := s.refreshOwnAddress(); err != nil {
		s.logger.Warn("could not refresh own raft address", "error", err)
	}

	s.planQueue.SetEnabled(true)
	s.evalBroker.SetEnabled(true)
	s.blockedEvals.SetEnabled(true)
	if err := s.restoreEvals(); err != nil {
		return err
	}
	if err := s.initHeartbeats(); err != nil {
		return err
	}
	if err := s.initSchedulerConfig(); err != nil {
		return err
	}

	applier := NewPlanApplier(s.planQueue, s.schedulerSnapshot, s.applyPlanResults, s.config.Logger)
	loops := []func(){
		func() { applier.Run(stopCh) },
		func() { s.reapFailedEvals(stopCh) },
		func() { s.reapCancelableEvals(stopCh) },
		func() { s.periodicBlockedEvals(stopCh) },
		func() { newDrainer(s, s.logger).run(stopCh) },
		func() { newDeploymentWatcher(s, s.logger).run(stopCh) },
		func() { s.periodic.run(stopCh) },
		func() { s.evalBroker.EmitStats(statsPeriod, stopCh) },
		func() { s.blockedEvals.EmitStats(statsPeriod, stopCh) },
		func() { s.planQueue.EmitStats(statsPeriod, stopCh) },
	}
	if s.gossip != nil {
		loops = append(loops, func() { s.reconcileMembers(stopCh) })
	}
	if !s.config.Autoscaler.Disabled {
		loops = append(loops, func() { newAutoscaler(s).run(stopCh) })
	}
	for _, loop := range loops {
		wg.Add(1)
		go func(loop func()) {
			defer wg.Done()
			loop()
		}(loop)
	}
	s.leaderReady.Store(true)
	return nil
}

// revokeLeadership turns the leader-only components off; they drop what
// they hold, and the next leader rebuilds it from state.
func (s *Server) revokeLeadership() {
	s.leaderReady.Store(false)
	s.evalBroker.SetEnabled(false)
	s.blockedEvals.SetEnabled(false)
	s.planQueue.SetEnabled(false)
	s.heartbeater.ClearAll()
}

// restoreEvals hands every live evaluation in state to the broker or the
// blocked tracker, since a new leader starts with both empty. The blocked
// tracker first learns where capacity last appeared, so evaluations the
// previous leader unblocked but nobody ran are not stranded.
func (s *Server) restoreEvals() error {
	if err := s.seedUnblockMarks(); err != nil {
		return fmt.Errorf("restore evals: %w", err)
	}
	evals, err := s.fsm.State().Evals(nil, state.AllNamespaces, "")
	if err != nil {
		return fmt.Errorf("restore evals: %w", err)
	}
	s.routeEvals(evals)
	return nil
}

// initHeartbeats arms a timer for every node not already down. A new
// leader gives them the failover TTL (long by default), so nodes have time
// to find it.
func (s *Server) initHeartbeats() error {
	nodes, err := s.fsm.State().Nodes(nil)
	if err != nil {
		return fmt.Errorf("init heartbeats: %w", err)
	}
	for _, n := range nodes {
		if n.Status != structs.NodeStatusDown {
			s.heartbeater.ResetTTL(n.ID, s.config.FailoverHeartbeatTTL)
		}
	}
	return nil
}

// nodeHeartbeatExpired marks a node that stopped heartbeating down, which
// creates node-update evaluations for its jobs.
func (s *Server) nodeHeartbeatExpired(nodeID string) {
	logger := s.logger.With("node_id", nodeID)
	if !s.IsLeader() {
		// Timers are cleared when leadership ends; this one fired in
		// the gap.
		return
	}
	logger.Warn("node missed its heartbeat, marking it down")
	if _, err := s.updateNodeStatus(nodeID, structs.NodeStatusDown, time.Now().Unix()); err != nil {
		logger.Error("failed to mark node down", "error", err)
	}
}

// nodeStatusResult is what a node status change wrote.
type nodeStatusResult struct {
	index      uint64
	evalIDs    []string
	evalsIndex uint64
}

// updateNodeStatus writes a node's new status and, when it went down or
// became ready, creates an evaluation for every job with allocations on
// it so the schedulers react.
func (s *Server) updateNodeStatus(nodeID, status string, updatedAt int64) (*nodeStatusResult, error) {
	st := s.fsm.State()
	node, err := st.NodeByID(nil, nodeID)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, fmt.Errorf("node %q: %w", nodeID, structs.ErrNotFound)
	}
	res := &nodeStatusResult{index: node.ModifyIndex}
	if node.Status == status {
		return res, nil
	}
	req := &structs.NodeUpdateStatusRequest{NodeID: nodeID, Status: status, UpdatedAt: updatedAt}
	index, _, err := s.raftApply(structs.NodeUpdateStatusRequestType, req)
	if err != nil {
		return nil, fmt.Errorf("update status of node %q: %w", nodeID, err)
	}
	res.index = index
	switch status {
	case structs.NodeStatusDown:
		s.heartbeater.Clear(nodeID)
	case structs.NodeStatusReady:
		s.blockedEvals.Unblock(node.ComputedClass, index)
	default:
		return res, nil
	}
	res.evalIDs, res.evalsIndex, err = s.createNodeEvals(nodeID, index)
	return res, err
}

// createNodeEvals writes a node-update evaluation for each job with
// allocations on the node and for each system and sysbatch job.
func (s *Server) createNodeEvals(nodeID string, nodeIndex uint64) ([]string, uint64, error) {
	allocs, err := s.fsm.State().AllocsByNode(nil, nodeID)
	if err != nil {
		return nil, 0, err
	}
	seen := make(map[[2]string]bool)
	var evals []*structs.Evaluation
	now := time.Now().UnixNano()
	for _, a := range allocs {
		key := [2]string{a.Namespace, a.JobID}
		if seen[key] || a.Job == nil {
			continue
		}
		seen[key] = true
		evals = append(evals, &structs.Evaluation{
			ID:              uuid.NewString(),
			Namespace:       a.Namespace,
			Priority:        a.Job.Priority,
			Type:            a.Job.Type,
			TriggeredBy:     structs.EvalTriggerNodeUpdate,
			JobID:           a.JobID,
			JobModifyIndex:  a.Job.JobModifyIndex,
			NodeID:          nodeID,
			NodeModifyIndex: nodeIndex,
			Status:          structs.EvalStatusPending,
			CreateTime:      now,
			ModifyTime:      now,
		})
	}
	// System jobs may have nothing on the node yet: a node that joins or
	// comes back must get their allocations, so each is evaluated too.
	for _, typ := range []string{structs.JobTypeSystem, structs.JobTypeSysBatch} {
		jobs, err := s.fsm.State().JobsByType(nil, typ)
		if err != nil {
			return nil, 0, err
		}
		for _, j := range jobs {
			key := [2]string{j.Namespace, j.ID}
			if seen[key] || j.Stop {
				continue
			}
			seen[key] = true
			evals = append(evals, &structs.Evaluation{
				ID:              uuid.NewString(),
				Namespace:       j.Namespace,
				Priority:        j.Priority,
				Type:            j.Type,
				TriggeredBy:     structs.EvalTriggerNodeUpdate,
				JobID:           j.ID,
				JobModifyIndex:  j.JobModifyIndex,
				NodeID:          nodeID,
				NodeModifyIndex: nodeIndex,
				Status:          structs.EvalStatusPending,
				CreateTime:      now,
				ModifyTime:      now,
			})
		}
	}
	if len(evals) == 0 {
		return nil, 0, nil
	}
	index, _, err := s.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: evals})
	if err != nil {
		return nil, 0, fmt.Errorf("create node-update evals for node %q: %w", nodeID, err)
	}
	return evalIDs(evals), index, nil
}

// reapFailedEvals marks evaluations that exhausted their deliveries as
// failed in state, so they stop looking pending.
func (s *Server) reapFailedEvals(stopCh chan struct{}) {
	for {
		select {
		case <-stopCh:
			return
		default:
		}
		eval, token, err := s.evalBroker.Dequeue([]string{FailedQueue}, time.Second)
		if err != nil {
			if !errors.Is(err, ErrBrokerDisabled) {
				s.logger.Error("failed-eval reaper dequeue", "error", err)
			}
			select {
			case <-stopCh:
				return
			case <-time.After(establishRetry):
			}
			continue
		}
		if eval == nil {
			continue
		}
		s.failEval(eval, token)
	}
}

func (s *Server) failEval(eval *structs.Evaluation, token string) {
	logger := s.logger.With("eval_id", eval.ID)
	failed := eval.Copy()
	failed.Status = structs.EvalStatusFailed
	failed.StatusDescription = fmt.Sprintf("evaluation reached its delivery limit (%d)", s.config.EvalDeliveryLimit)
	failed.ModifyTime = time.Now().UnixNano()
	req := &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{failed}, EvalToken: token}
	if _, _, err := s.raftApply(structs.EvalUpdateRequestType, req); err != nil {
		logger.Error("failed to mark eval failed", "error", err)
		_ = s.evalBroker.Nack(eval.ID, token)
		return
	}
	if err := s.evalBroker.Ack(eval.ID, token); err != nil {
		logger.Warn("failed to ack failed eval", "error", err)
	}
	logger.Warn("eval failed after its delivery limit", "job_id", eval.JobID)
}

// reapCancelableEvals marks evaluations superseded by a newer one of the
// same job as canceled.
func (s *Server) reapCancelableEvals(stopCh chan struct{}) {
	for {
		select {
		case <-stopCh:
			return
		case <-s.evalBroker.CancelableCh():
		case <-s.blockedEvals.CancelableCh():
		}
		for {
			batch := append(s.evalBroker.Cancelable(reapBatch), s.blockedEvals.Cancelable(reapBatch)...)
			if len(batch) == 0 {
				break
			}
			s.cancelEvals(batch, s.logger)
		}
	}
}

func (s *Server) cancelEvals(evals []*structs.Evaluation, logger hclog.Logger) {
	now := time.Now().UnixNano()
	out := make([]*structs.Evaluation, len(evals))
	for i, e := range evals {
		c := e.Copy()
		c.Status = structs.EvalStatusCancelled
		c.StatusDescription = "canceled: superseded by a newer evaluation of the job"
		c.ModifyTime = now
		out[i] = c
	}
	if _, _, err := s.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: out}); err != nil {
		logger.Error("failed to cancel superseded evals", "count", len(out), "error", err)
	}
}
