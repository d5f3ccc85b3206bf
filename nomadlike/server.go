package nomadlike

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/stream"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// snapshotWait bounds how long a worker or the plan applier waits for the
// local state to reach the index it needs.
const snapshotWait = 10 * time.Second

// Server is an orch server: Raft and its FSM, the RPC endpoints, and, on
// the leader, the eval broker, blocked evals, plan queue and applier and
// heartbeat timers. Scheduling workers run on every server.
type Server struct {
	config *Config
	logger hclog.Logger

	fsm           *FSM
	raft          *raft.Raft
	raftID        raft.ServerID
	raftLayer     *raftLayer
	raftTransport *raft.NetworkTransport
	raftStores    *raftStores
	// bootstrapPending is set when Raft had no state and more than one
	// server is expected: bootstrapLoop bootstraps once gossip shows them.
	bootstrapPending bool
	// gossip is the region's server pool; nil for a lone server run
	// without gossip.
	gossip *gossip
	// leaderNotifyCh receives raft's leadership changes.
	leaderNotifyCh chan bool
	// reassertLeaderCh asks the leadership monitor to restart the
	// leader's duties (after a snapshot restore replaced the state); it
	// answers on the channel it is sent.
	reassertLeaderCh chan chan error
	// leaderReady is set while this server leads and its leader-only
	// components run.
	leaderReady atomic.Bool

	rpcListener net.Listener
	// connPool carries requests this server forwards to the leader.
	connPool     *pool.ConnPool
	rpcAdvertise net.Addr
	rpcServer    *rpc.Server
	listenDone   chan struct{}
	connsMu      sync.Mutex
	conns        map[net.Conn]struct{}

	evalBroker   *EvalBroker
	blockedEvals *BlockedEvals
	planQueue    *PlanQueue
	heartbeater  *Heartbeater
	// periodic launches periodic jobs' children; it runs on the leader.
	periodic *periodicDispatcher
	// allocMetrics is the autoscaler's in-memory sample window, filled
	// by Node.EmitAllocMetrics on the leader.
	allocMetrics *allocMetrics
	workers      []*Worker
	// events is the event stream the FSM feeds; nil when disabled.
	events *stream.EventBroker

	shutdownCh     chan struct{}
	shutdownCtx    context.Context
	shutdownCancel context.CancelFunc
	shutdownOnce   sync.Once
	shutdownErr    error
	// loops tracks the server's own goroutines (leadership monitor).
	loops sync.WaitGroup
}

// NewServer starts a server: it listens on the RPC port, starts Raft
// (bootstrapping a single-server cluster if there is no state) and the
// scheduling workers. Leadership follows within an election timeout.
func NewServer(cfg *Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		config:           cfg,
		logger:           cfg.Logger.Named("server"),
		conns:            make(map[net.Conn]struct{}),
		listenDone:       make(chan struct{}),
		leaderNotifyCh:   make(chan bool, 8),
		reassertLeaderCh: make(chan chan error),
		shutdownCh:       make(chan struct{}),
	}
	s.shutdownCtx, s.shutdownCancel = shutdownContext(s.shutdownCh)

	s.evalBroker = NewEvalBroker(cfg.EvalNackTimeout, cfg.EvalDeliveryLimit)
	s.blockedEvals = NewBlockedEvals(s.evalBroker.Enqueue, cfg.Logger)
	s.planQueue = NewPlanQueue()
	s.heartbeater = newHeartbeater(s.nodeHeartbeatExpired, cfg.Logger)

	s.events = newEventBroker(cfg)
	s.fsm, err = NewFSM(FSMConfig{Logger: cfg.Logger, OnEvalsCreated: s.routeEvals,
		JobTrackedVersions: cfg.JobTrackedVersions, Events: s.events})
	if err != nil {
		return nil, err
	}
	s.periodic = newPeriodicDispatcher(cfg.Logger, cfg.Clock, s.fsm.State, s.registerChild)
	s.allocMetrics = newAllocMetrics()
	s.connPool = pool.NewPool(cfg.Logger, 2*time.Minute)
	if err := s.setupRPC(); err != nil {
		s.connPool.Shutdown()
		return nil, err
	}
	if err := s.setupRaft(); err != nil {
		s.connPool.Shutdown()
		s.closeRPC()
		if s.raftStores != nil {
			_ = s.raftStores.close()
		}
		return nil, err
	}
	if err := s.setupGossip(); err != nil {
		_ = s.Shutdown()
		return nil, err
	}
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		s.monitorLeadership()
	}()
	s.startWorkers()
	s.logger.Info("server started", "node_name", cfg.NodeName, "rpc_addr", s.rpcAdvertise.String(),
		"dev_mode", cfg.DevMode, "schedulers", cfg.NumSchedulers)
	return s, nil
}

// setupRPC registers the endpoints and starts accepting connections.
func (s *Server) setupRPC() error {
	s.rpcServer = rpc.NewServer()
	endpoints := []interface{}{
		&Job{srv: s}, &Node{srv: s}, &Alloc{srv: s}, &Eval{srv: s}, &Status{srv: s}, &Plan{srv: s},
		&Operator{srv: s}, &Periodic{srv: s}, &Deployment{srv: s}, &Scaling{srv: s},
		&ServiceRegistration{srv: s},
	}
	for _, e := range endpoints {
		if err := s.rpcServer.Register(e); err != nil {
			return fmt.Errorf("register rpc endpoint %T: %w", e, err)
		}
	}
	ln, err := net.ListenTCP("tcp", s.config.RPCAddr)
	if err != nil {
		return fmt.Errorf("listen for rpc on %s: %w", s.config.RPCAddr, err)
	}
	s.rpcListener = ln
	bound := ln.Addr().(*net.TCPAddr)
	switch {
	case s.config.RPCAdvertise != nil:
		adv := *s.config.RPCAdvertise
		if adv.Port == 0 {
			adv.Port = bound.Port
		}
		s.rpcAdvertise = &adv
	case bound.IP.IsUnspecified():
		ln.Close()
		return fmt.Errorf("rpc: bound to %s, so RPCAdvertise must say which address others reach this server at", bound)
	default:
		s.rpcAdvertise = bound
	}
	s.raftLayer = newRaftLayer(s.rpcAdvertise)
	go s.listen()
	return nil
}

// closeRPC stops accepting connections and closes the open ones.
func (s *Server) closeRPC() {
	s.rpcListener.Close()
	<-s.listenDone
	s.raftLayer.Close()
	s.connsMu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.connsMu.Unlock()
}

// startWorkers starts the scheduling workers. Every server runs them; they
// take evaluations from the leader's broker and submit plans to its plan
// queue through RPCs (worker_rpc.go), in process on the leader.
func (s *Server) startWorkers() {
	broker := &leaderBroker{srv: s}
	for i := 0; i < s.config.NumSchedulers; i++ {
		w := NewWorker(WorkerConfig{
			Logger:      s.config.Logger.With("worker_id", i),
			Broker:      broker,
			Snapshot:    s.schedulerSnapshot,
			SubmitPlan:  s.submitPlanRPC,
			ApplyEvals:  s.evalWriteRPC(structs.EvalUpdateRPC),
			CreateEvals: s.evalWriteRPC(structs.EvalCreateRPC),
			Factory:     s.config.SchedulerFactory,
		})
		s.workers = append(s.workers, w)
		w.Start()
	}
}

// EvalsProcessed is how many evaluations this server's workers finished.
func (s *Server) EvalsProcessed() uint64 {
	var n uint64
	for _, w := range s.workers {
		n += w.EvalsAcked()
	}
	return n
}

// snapshotMinIndex returns a state snapshot at least as new as minIndex.
func (s *Server) snapshotMinIndex(minIndex uint64) (*state.StateSnapshot, error) {
	ctx, cancel := context.WithTimeout(s.shutdownCtx, snapshotWait)
	defer cancel()
	return s.fsm.State().SnapshotMinIndex(ctx, minIndex)
}

// schedulerSnapshot is snapshotMinIndex for the workers and the plan
// applier, which take the scheduler's view of state.
func (s *Server) schedulerSnapshot(minIndex uint64) (scheduler.State, error) {
	snap, err := s.snapshotMinIndex(minIndex)
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// submitPlan hands a plan to the leader's plan queue and waits for the
// applier's answer.
func (s *Server) submitPlan(plan *structs.Plan) (*structs.PlanResult, error) {
	future, err := s.planQueue.Enqueue(plan)
	if err != nil {
		return nil, fmt.Errorf("submit plan of eval %s: %w", plan.EvalID, err)
	}
	return future.Wait()
}

// applyPlanResults is the plan applier's Raft write. Stopped allocations
// free capacity on their nodes, so blocked evaluations that could use
// those nodes get another chance.
func (s *Server) applyPlanResults(req *structs.ApplyPlanResultsRequest) (uint64, error) {
	index, _, err := s.raftApply(structs.ApplyPlanResultsRequestType, req)
	if err == nil && len(req.AllocsStopped) > 0 {
		freedOn := make(map[string]struct{})
		for _, a := range req.AllocsStopped {
			freedOn[a.NodeID] = struct{}{}
		}
		s.unblockNodes(freedOn, index)
	}
	return index, err
}

// routeEvals is the FSM's OnEvalsCreated: pending evaluations go to the
// broker, blocked ones to the blocked tracker. Both ignore them unless
// this server leads.
func (s *Server) routeEvals(evals []*structs.Evaluation) {
	for _, e := range evals {
		switch e.Status {
		case structs.EvalStatusPending:
			s.evalBroker.Enqueue(e)
		case structs.EvalStatusBlocked:
			s.blockedEvals.Block(e)
		}
	}
}

// Shutdown stops the workers, leadership duties, Raft and the RPC port.
// It is safe to call more than once.
func (s *Server) Shutdown() error {
	s.shutdownOnce.Do(func() {
		s.logger.Info("shutting down server")
		close(s.shutdownCh)
		s.shutdownCancel()
		for _, w := range s.workers {
			w.Stop()
		}
		s.loops.Wait()
		if s.gossip != nil {
			// No leave: the others see this server failed, as Nomad's
			// servers do by default; Leave is the way out for good.
			if err := s.gossip.shutdown(); err != nil {
				s.logger.Warn("gossip shutdown failed", "error", err)
			}
		}
		// After the workers: a worker on a follower may be waiting on
		// the leader through the pool.
		s.connPool.Shutdown()
		var errs []error
		if s.raft != nil {
			if err := s.raft.Shutdown().Error(); err != nil {
				errs = append(errs, fmt.Errorf("raft shutdown: %w", err))
			}
		}
		if s.raftTransport != nil {
			if err := s.raftTransport.Close(); err != nil {
				errs = append(errs, fmt.Errorf("raft transport close: %w", err))
			}
		}
		s.closeRPC()
		if s.events != nil {
			s.events.Close()
		}
		if s.raftStores != nil {
			if err := s.raftStores.close(); err != nil {
				errs = append(errs, fmt.Errorf("raft store close: %w", err))
			}
		}
		s.shutdownErr = errors.Join(errs...)
	})
	return s.shutdownErr
}

// IsLeader reports whether this server is the Raft leader and has taken up
// the leader's duties (broker, plan applier, heartbeats).
func (s *Server) IsLeader() bool {
	return s.raft.State() == raft.Leader && s.leaderReady.Load()
}

// Leader returns the leader's RPC address, or "" when there is none.
func (s *Server) Leader() string {
	addr, _ := s.raft.LeaderWithID()
	return string(addr)
}

// RPCAddr is the address clients and other servers reach this server at.
func (s *Server) RPCAddr() net.Addr {
	return s.rpcAdvertise
}

// State returns the current state store. Read-only: every write goes
// through Raft.
func (s *Server) State() *state.StateStore {
	return s.fsm.State()
}

// Stats reports Raft, broker and runtime figures for /v1/agent/self.
func (s *Server) Stats() map[string]map[string]string {
	bs := s.evalBroker.Stats()
	blocked := s.blockedEvals.Stats()
	pq := s.planQueue.Stats()
	index, _ := s.fsm.State().LatestIndex()
	return map[string]map[string]string{
		"nomad": {
			"server":        "true",
			"leader":        strconv.FormatBool(s.IsLeader()),
			"leader_addr":   s.Leader(),
			"known_regions": "1",
			"bootstrap":     strconv.FormatBool(s.config.BootstrapExpect == 1),
			"state_index":   strconv.FormatUint(index, 10),
		},
		"raft": s.raft.Stats(),
		"broker": {
			"total_ready":    strconv.Itoa(bs.TotalReady),
			"total_unacked":  strconv.Itoa(bs.TotalUnacked),
			"total_blocked":  strconv.Itoa(blocked.TotalBlocked),
			"total_waiting":  strconv.Itoa(bs.TotalWaiting),
			"plans_pending":  strconv.Itoa(pq.Depth),
			"num_schedulers": strconv.Itoa(len(s.workers)),
		},
		"runtime": {
			"goroutines": strconv.Itoa(runtime.NumGoroutine()),
			"cpu_count":  strconv.Itoa(runtime.NumCPU()),
			"version":    runtime.Version(),
			"arch":       runtime.GOARCH,
			"os":         runtime.GOOS,
		},
	}
}
