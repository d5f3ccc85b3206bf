package client

import (
	"fmt"
	"sync"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeServer is an in-memory stand-in for the servers' client-facing RPCs,
// with a state index and blocking queries like the real ones, so the
// client's protocol can be tested without Raft.
type fakeServer struct {
	ttl time.Duration

	mu sync.Mutex
	// changed is closed and replaced whenever index moves.
	changed      chan struct{}
	closed       bool
	index        uint64
	nodes        map[string]*structs.Node
	allocs       map[string]*structs.Allocation
	registers    int
	heartbeats   int
	updateCalls  int
	failRegister int
}

func newFakeServer() *fakeServer {
	return &fakeServer{
		ttl:     time.Second,
		changed: make(chan struct{}),
		index:   1,
		nodes:   make(map[string]*structs.Node),
		allocs:  make(map[string]*structs.Allocation),
	}
}

// bump must be called with mu held.
func (s *fakeServer) bump() uint64 {
	s.index++
	close(s.changed)
	s.changed = make(chan struct{})
	return s.index
}

// close wakes every blocked query so tests end promptly.
func (s *fakeServer) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.bump()
}

func (s *fakeServer) RPC(method string, args, reply interface{}) error {
	switch method {
	case structs.NodeRegisterRPC:
		return s.register(args.(*structs.NodeRegisterRequest), reply.(*structs.NodeUpdateResponse))
	case structs.NodeUpdateStatusRPC:
		return s.updateStatus(args.(*structs.NodeUpdateStatusRequest), reply.(*structs.NodeUpdateResponse))
	case structs.NodeGetClientAllocsRPC:
		return s.getClientAllocs(args.(*structs.NodeSpecificRequest), reply.(*structs.NodeClientAllocsResponse))
	case structs.AllocGetAllocsRPC:
		return s.getAllocs(args.(*structs.AllocsGetRequest), reply.(*structs.AllocsGetResponse))
	case structs.NodeUpdateAllocRPC:
		return s.updateAlloc(args.(*structs.AllocUpdateRequest), reply.(*structs.GenericResponse))
	}
	return fmt.Errorf("fake server: unexpected method %s", method)
}

func (s *fakeServer) register(req *structs.NodeRegisterRequest, resp *structs.NodeUpdateResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registers++
	if s.failRegister > 0 {
		s.failRegister--
		return structs.ErrNoLeader
	}
	n := *req.Node
	s.nodes[n.ID] = &n
	resp.HeartbeatTTL = s.ttl
	resp.Index = s.bump()
	return nil
}

func (s *fakeServer) updateStatus(req *structs.NodeUpdateStatusRequest, resp *structs.NodeUpdateResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[req.NodeID]
	if !ok {
		return fmt.Errorf("node %s: %w", req.NodeID, structs.ErrNotFound)
	}
	if n.SecretID != req.SecretID {
		return structs.ErrPermission
	}
	s.heartbeats++
	n.Status = req.Status
	resp.HeartbeatTTL = s.ttl
	resp.Index = s.index
	return nil
}

func (s *fakeServer) getClientAllocs(req *structs.NodeSpecificRequest, resp *structs.NodeClientAllocsResponse) error {
	deadline := time.NewTimer(req.MaxQueryTime)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return fmt.Errorf("fake server closed")
		}
		if s.index > req.MinQueryIndex {
			resp.Allocs = make(map[string]uint64)
			for id, a := range s.allocs {
				if a.NodeID == req.NodeID {
					resp.Allocs[id] = a.AllocModifyIndex
				}
			}
			resp.Index = s.index
			s.mu.Unlock()
			return nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			resp.Index = req.MinQueryIndex
			return nil
		}
	}
}

func (s *fakeServer) getAllocs(req *structs.AllocsGetRequest, resp *structs.AllocsGetResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range req.AllocIDs {
		a, ok := s.allocs[id]
		if !ok {
			return fmt.Errorf("alloc %s: %w", id, structs.ErrNotFound)
		}
		cp := *a
		resp.Allocs = append(resp.Allocs, &cp)
	}
	resp.Index = s.index
	return nil
}

func (s *fakeServer) updateAlloc(req *structs.AllocUpdateRequest, resp *structs.GenericResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updateCalls++
	index := s.bump()
	for _, u := range req.Alloc {
		a, ok := s.allocs[u.ID]
		if !ok {
			continue
		}
		if u.Job != nil {
			return fmt.Errorf("client sent the job with alloc %s; updates must stay small", u.ID)
		}
		cp := *a
		cp.ClientStatus, cp.ClientDescription, cp.TaskStates = u.ClientStatus, u.ClientDescription, u.TaskStates
		if u.DeploymentStatus.HasHealth() {
			// As the servers do, only the client's verdict is taken.
			ds := a.DeploymentStatus.Copy()
			if ds == nil {
				ds = &structs.AllocDeploymentStatus{}
			}
			ds.Healthy, ds.Timestamp = u.DeploymentStatus.Copy().Healthy, u.DeploymentStatus.Timestamp
			cp.DeploymentStatus = ds
		}
		cp.ModifyIndex = index
		s.allocs[u.ID] = &cp
	}
	resp.Index = index
	return nil
}

// upsertAllocs places allocations as the scheduler would.
func (s *fakeServer) upsertAllocs(allocs ...*structs.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	index := s.bump()
	for _, a := range allocs {
		cp := *a
		cp.ClientStatus, cp.TaskStates = structs.AllocClientStatusPending, nil
		cp.CreateIndex, cp.ModifyIndex, cp.AllocModifyIndex = index, index, index
		s.allocs[a.ID] = &cp
	}
}

// stopAlloc sets the desired status as a job stop would.
func (s *fakeServer) stopAlloc(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	index := s.bump()
	cp := *s.allocs[id]
	cp.DesiredStatus, cp.DesiredDescription = structs.AllocDesiredStatusStop, "alloc not needed due to job update"
	cp.ModifyIndex, cp.AllocModifyIndex = index, index
	s.allocs[id] = &cp
}

func (s *fakeServer) deleteAlloc(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bump()
	delete(s.allocs, id)
}

func (s *fakeServer) forgetNodes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes = make(map[string]*structs.Node)
}

func (s *fakeServer) alloc(id string) *structs.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := *s.allocs[id]
	return &cp
}

func (s *fakeServer) node(id string) *structs.Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[id]
	if !ok {
		return nil
	}
	cp := *n
	return &cp
}

func (s *fakeServer) counts() (registers, heartbeats, updateCalls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registers, s.heartbeats, s.updateCalls
}
