package nomadlike_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// noWorkers keeps schedulers from touching state an endpoint test checks.
func noWorkers(c *nomadlike.Config) { c.NumSchedulers = -1 }

func registerJob(t *testing.T, rpc structs.RPCer, job *structs.Job) *structs.JobRegisterResponse {
	t.Helper()
	var resp structs.JobRegisterResponse
	if err := rpc.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &resp); err != nil {
		t.Fatalf("register job: %v", err)
	}
	return &resp
}

// tcpRPC makes RPCs to a server over its RPC port.
type tcpRPC struct {
	pool *pool.ConnPool
	addr net.Addr
}

func (c tcpRPC) RPC(method string, args, reply interface{}) error {
	return c.pool.RPC(c.addr, method, args, reply)
}

func newTCPRPC(t *testing.T, s *nomadlike.Server) tcpRPC {
	p := pool.NewPool(hclog.NewNullLogger(), time.Minute)
	t.Cleanup(p.Shutdown)
	return tcpRPC{pool: p, addr: s.RPCAddr()}
}

func TestServer_RegisterAndReadBack(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := mock.Job()
	resp := registerJob(t, s, job)
	if resp.EvalID == "" || resp.Index == 0 || resp.JobModifyIndex != resp.Index {
		t.Fatalf("register reply %+v: want an eval and matching indexes", resp)
	}
	transports := map[string]structs.RPCer{"in process": s, "tcp": newTCPRPC(t, s)}
	for name, rpc := range transports {
		t.Run(name, func(t *testing.T) {
			var got structs.SingleJobResponse
			req := &structs.JobSpecificRequest{JobID: job.ID}
			if err := rpc.RPC(structs.JobGetJobRPC, req, &got); err != nil {
				t.Fatal(err)
			}
			if got.Job == nil || got.Job.ID != job.ID || got.Job.TaskGroups[0].Count != 10 {
				t.Fatalf("read back %+v", got.Job)
			}
			if got.Job.Status != structs.JobStatusPending || got.Job.SubmitTime == 0 || !got.KnownLeader || got.Index == 0 {
				t.Fatalf("status %q submit %d leader %v index %d", got.Job.Status, got.Job.SubmitTime, got.KnownLeader, got.Index)
			}
			var evals structs.JobEvaluationsResponse
			if err := rpc.RPC(structs.JobEvaluationsRPC, req, &evals); err != nil {
				t.Fatal(err)
			}
			if len(evals.Evaluations) != 1 || evals.Evaluations[0].ID != resp.EvalID ||
				evals.Evaluations[0].TriggeredBy != structs.EvalTriggerJobRegister ||
				evals.Evaluations[0].JobModifyIndex != resp.JobModifyIndex {
				t.Fatalf("evaluations %+v", evals.Evaluations)
			}
			var list structs.JobListResponse
			if err := rpc.RPC(structs.JobListRPC, &structs.JobListRequest{QueryOptions: structs.QueryOptions{Prefix: job.ID[:5]}}, &list); err != nil {
				t.Fatal(err)
			}
			if len(list.Jobs) != 1 || list.Jobs[0].JobSummary == nil {
				t.Fatalf("job list %+v: want the job with its summary", list.Jobs)
			}
			var missing structs.SingleJobResponse
			if err := rpc.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: "nope"}, &missing); err != nil || missing.Job != nil {
				t.Fatalf("missing job: %v %+v", err, missing.Job)
			}
		})
	}
}

func TestServer_RejectedRegistrationChangesNothing(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	existing := mock.Job()
	registerJob(t, s, existing)

	cases := []struct {
		name     string
		job      func() *structs.Job
		enforce  bool
		index    uint64
		sentinel error
		wantText []string
	}{
		{"invalid fields", func() *structs.Job {
			j := mock.Job()
			j.Priority = 500
			j.TaskGroups[0].Tasks[0].Driver = ""
			return j
		}, false, 0, structs.ErrBadRequest, []string{"Priority", `Tasks["web"].Driver`}},
		{"missing ID", func() *structs.Job {
			j := mock.Job()
			j.ID = ""
			return j
		}, false, 0, structs.ErrBadRequest, []string{"ID: missing job ID"}},
		{"stale enforced index", func() *structs.Job {
			j := existing.Copy()
			j.TaskGroups[0].Count = 1
			return j
		}, true, 1, structs.ErrIndexChanged, []string{"Enforcing job modify index 1: job exists with conflicting job modify index: "}},
		{"enforced index 0 on an existing job", existing.Copy, true, 0, structs.ErrIndexChanged, []string{"Enforcing job modify index 0: job already exists"}},
	}
	transports := map[string]structs.RPCer{"in process": s, "tcp": newTCPRPC(t, s)}
	for name, rpc := range transports {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				before, err := s.State().LatestIndex()
				if err != nil {
					t.Fatal(err)
				}
				job := tc.job()
				req := &structs.JobRegisterRequest{Job: job, EnforceIndex: tc.enforce, JobModifyIndex: tc.index}
				var resp structs.JobRegisterResponse
				err = rpc.RPC(structs.JobRegisterRPC, req, &resp)
				if !errors.Is(err, tc.sentinel) {
					t.Fatalf("got %v, want %v", err, tc.sentinel)
				}
				for _, want := range tc.wantText {
					if !strings.Contains(err.Error(), want) {
						t.Fatalf("error %q does not mention %q", err, want)
					}
				}
				after, err := s.State().LatestIndex()
				if err != nil {
					t.Fatal(err)
				}
				if after != before {
					t.Fatalf("state index moved from %d to %d", before, after)
				}
			})
		}
	}
}

func TestServer_DeregisterStopAndPurge(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := mock.Job()
	reg := registerJob(t, s, job)

	var stop structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: job.ID}, &stop); err != nil {
		t.Fatal(err)
	}
	stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil || stored == nil || !stored.Stop || stored.Version != 1 || stored.JobModifyIndex <= reg.JobModifyIndex {
		t.Fatalf("after stop: %v %+v", err, stored)
	}
	var purge structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: job.ID, Purge: true}, &purge); err != nil {
		t.Fatal(err)
	}
	if stored, _ := s.State().JobByID(nil, job.Namespace, job.ID); stored != nil {
		t.Fatal("job present after purge")
	}
	evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
	if len(evals) != 3 {
		t.Fatalf("%d evals, want register + stop + purge", len(evals))
	}
	err = s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: job.ID}, &purge)
	if !pool.IsErrNotFound(err) {
		t.Fatalf("deregister of a purged job: %v, want not found", err)
	}
}

func TestServer_NodeLifecycle(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	node := mock.Node()
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &reg); err != nil {
		t.Fatal(err)
	}
	if reg.HeartbeatTTL <= 0 || reg.NodeModifyIndex == 0 || reg.LeaderRPCAddr == "" {
		t.Fatalf("register reply %+v", reg)
	}

	t.Run("wrong secret is refused", func(t *testing.T) {
		var resp structs.NodeUpdateResponse
		err := s.RPC(structs.NodeUpdateStatusRPC, &structs.NodeUpdateStatusRequest{
			NodeID: node.ID, SecretID: "wrong", Status: structs.NodeStatusReady}, &resp)
		if !errors.Is(err, structs.ErrPermission) {
			t.Fatalf("got %v, want permission denied", err)
		}
	})

	// A placed allocation, so that status changes have a job to evaluate.
	job := mock.Job()
	registerJob(t, s, job)
	alloc := mock.AllocFor(job, node, 0)
	alloc.ClientStatus = structs.AllocClientStatusPending
	applyPlan(t, s, job, alloc)

	t.Run("blocking client allocs wake on placement only", func(t *testing.T) {
		var first structs.NodeClientAllocsResponse
		req := &structs.NodeSpecificRequest{NodeID: node.ID, SecretID: node.SecretID}
		if err := s.RPC(structs.NodeGetClientAllocsRPC, req, &first); err != nil {
			t.Fatal(err)
		}
		if first.Allocs[alloc.ID] == 0 {
			t.Fatalf("allocs %v: want %s", first.Allocs, alloc.ID)
		}
		// A client status update must not wake the client's own query.
		update := &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{ID: alloc.ID, ClientStatus: structs.AllocClientStatusRunning}}}
		var ur structs.GenericResponse
		if err := s.RPC(structs.NodeUpdateAllocRPC, update, &ur); err != nil {
			t.Fatal(err)
		}
		req.MinQueryIndex, req.MaxQueryTime = first.Index, 50*time.Millisecond
		var again structs.NodeClientAllocsResponse
		if err := s.RPC(structs.NodeGetClientAllocsRPC, req, &again); err != nil {
			t.Fatal(err)
		}
		if again.Index != first.Index {
			t.Fatalf("index moved from %d to %d on a client-only update", first.Index, again.Index)
		}
	})

	t.Run("failed alloc creates alloc-failure eval", func(t *testing.T) {
		update := &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{{ID: alloc.ID, ClientStatus: structs.AllocClientStatusFailed}}}
		var ur structs.GenericResponse
		if err := s.RPC(structs.NodeUpdateAllocRPC, update, &ur); err != nil {
			t.Fatal(err)
		}
		if countEvals(t, s, job, structs.EvalTriggerRetryFailedAlloc) != 1 {
			t.Fatal("want one alloc-failure eval")
		}
	})

	t.Run("going down creates node-update eval", func(t *testing.T) {
		var resp structs.NodeUpdateResponse
		err := s.RPC(structs.NodeUpdateStatusRPC, &structs.NodeUpdateStatusRequest{
			NodeID: node.ID, SecretID: node.SecretID, Status: structs.NodeStatusDown}, &resp)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.EvalIDs) != 1 || countEvals(t, s, job, structs.EvalTriggerNodeUpdate) != 1 {
			t.Fatalf("eval IDs %v: want one node-update eval", resp.EvalIDs)
		}
		got, _ := s.State().NodeByID(nil, node.ID)
		if got.Status != structs.NodeStatusDown {
			t.Fatalf("node status %q, want down", got.Status)
		}
	})
}

func countEvals(t *testing.T, s *nomadlike.Server, job *structs.Job, trigger string) int {
	t.Helper()
	var resp structs.JobEvaluationsResponse
	if err := s.RPC(structs.JobEvaluationsRPC, &structs.JobSpecificRequest{JobID: job.ID}, &resp); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range resp.Evaluations {
		if e.TriggeredBy == trigger {
			n++
		}
	}
	return n
}

// applyPlan places allocations through the server's plan queue, as a
// worker would.
func applyPlan(t *testing.T, s *nomadlike.Server, job *structs.Job, allocs ...*structs.Allocation) {
	t.Helper()
	stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil || stored == nil {
		t.Fatalf("job %s not stored: %v", job.ID, err)
	}
	plan := &structs.Plan{EvalID: allocs[0].EvalID, Priority: stored.Priority, Job: stored}
	for _, a := range allocs {
		plan.AppendAlloc(a)
	}
	res, err := nomadlike.SubmitPlanForTest(s, plan)
	if err != nil {
		t.Fatalf("submit plan: %v", err)
	}
	if ok, want, got := res.FullCommit(plan); !ok {
		t.Fatalf("plan committed %d of %d allocations", got, want)
	}
}

func TestServer_BlockingGetJobWakes(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := mock.Job()
	index, _ := s.State().LatestIndex()
	done := make(chan *structs.SingleJobResponse, 1)
	go func() {
		var resp structs.SingleJobResponse
		req := &structs.JobSpecificRequest{JobID: job.ID, QueryOptions: structs.QueryOptions{MinQueryIndex: max(index, 1), MaxQueryTime: time.Minute}}
		if err := s.RPC(structs.JobGetJobRPC, req, &resp); err != nil {
			t.Error(err)
		}
		done <- &resp
	}()
	registerJob(t, s, job)
	select {
	case resp := <-done:
		if resp.Job == nil || resp.Job.ID != job.ID {
			t.Fatalf("woke without the job: %+v", resp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocking GetJob did not wake on registration")
	}
}

func TestServer_Status(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	var leader structs.StatusLeaderResponse
	if err := s.RPC(structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err != nil {
		t.Fatal(err)
	}
	var peers structs.StatusPeersResponse
	if err := s.RPC(structs.StatusPeersRPC, &structs.GenericRequest{}, &peers); err != nil {
		t.Fatal(err)
	}
	addr := s.RPCAddr().String()
	if leader.Leader != addr || len(peers.Peers) != 1 || peers.Peers[0] != addr {
		t.Fatalf("leader %q peers %v, want %s", leader.Leader, peers.Peers, addr)
	}
	if st := s.Stats(); st["nomad"]["leader"] != "true" || st["raft"]["state"] != "Leader" {
		t.Fatalf("stats %v", st)
	}
	err := s.RPC("Job.NoSuchMethod", &structs.GenericRequest{}, &leader)
	if err == nil || !strings.Contains(err.Error(), "NoSuchMethod") {
		t.Fatalf("unknown method: %v", err)
	}
}

// TestServer_PersistsAcrossRestart runs a non-dev server on raft-boltdb,
// restarts it on the same data dir, and finds the job again.
func TestServer_PersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := func(c *nomadlike.Config) {
		c.DevMode = false
		c.DataDir = dir
		c.BootstrapExpect = 1
		c.NumSchedulers = -1
	}
	first := nomadtest.TestServer(t, cfg)
	job := mock.Job()
	registerJob(t, first, job)
	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}

	second := nomadtest.TestServer(t, cfg)
	var got structs.SingleJobResponse
	if err := second.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: job.ID}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Job == nil || got.Job.ID != job.ID {
		t.Fatal("job lost across restart")
	}
	// The restarted server took a new port; its Raft peer entry follows.
	nomadtest.WaitFor(t, 5*time.Second, func() error {
		var peers structs.StatusPeersResponse
		if err := second.RPC(structs.StatusPeersRPC, &structs.GenericRequest{}, &peers); err != nil {
			return err
		}
		if len(peers.Peers) != 1 || peers.Peers[0] != second.RPCAddr().String() {
			return fmt.Errorf("peers %v, want [%s]", peers.Peers, second.RPCAddr())
		}
		return nil
	})
}

func TestNewServer_ConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  nomadlike.Config
		want string
	}{
		{"no data dir", nomadlike.Config{BootstrapExpect: 1}, "DataDir"},
		{"multi-server without gossip", nomadlike.Config{DataDir: t.TempDir(), BootstrapExpect: 3}, "needs gossip to find the other servers"},
		{"joining without gossip", nomadlike.Config{DataDir: t.TempDir(), BootstrapExpect: 0}, "BootstrapExpect 0 joins an existing cluster, which needs gossip"},
		{"dev mode expecting servers", nomadlike.Config{DevMode: true, BootstrapExpect: 3}, "dev mode runs a single server"},
		{"bad gossip key", nomadlike.Config{DevMode: true, Gossip: nomadlike.GossipConfig{EncryptKey: "c2hvcnQ="}},
			"encrypt: key is 5 bytes long: want 16, 24 or 32 bytes"},
		{"wildcard bind without advertise", nomadlike.Config{DevMode: true,
			RPCAddr: &net.TCPAddr{IP: net.IPv4zero}}, "RPCAdvertise"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Logger = hclog.NewNullLogger()
			cfg.NodeName = "x"
			s, err := nomadlike.NewServer(&cfg)
			if err == nil {
				s.Shutdown()
				t.Fatal("server started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestServer_MissedHeartbeatMarksNodeDown registers a node with a short
// TTL and never heartbeats: the leader marks it down through Raft and
// evaluates the job that had an allocation there.
func TestServer_MissedHeartbeatMarksNodeDown(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, func(c *nomadlike.Config) {
		noWorkers(c)
		c.MinHeartbeatTTL = 50 * time.Millisecond
		c.HeartbeatGrace = 10 * time.Millisecond
	})
	node := mock.Node()
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &reg); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	registerJob(t, s, job)
	alloc := mock.AllocFor(job, node, 0)
	applyPlan(t, s, job, alloc)

	nomadtest.WaitFor(t, 5*time.Second, func() error {
		n, err := s.State().NodeByID(nil, node.ID)
		if err != nil {
			return err
		}
		if n.Status != structs.NodeStatusDown {
			return fmt.Errorf("node status %q, want down", n.Status)
		}
		return nil
	})
	nomadtest.WaitFor(t, 5*time.Second, func() error {
		if n := countEvals(t, s, job, structs.EvalTriggerNodeUpdate); n != 1 {
			return fmt.Errorf("%d node-update evals, want 1", n)
		}
		return nil
	})
}
