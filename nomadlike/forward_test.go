package nomadlike_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// testCluster starts three servers and returns the leader and the two
// followers.
func testCluster(t *testing.T, cb func(i int, cfg *nomadlike.Config)) (*nomadlike.Server, []*nomadlike.Server) {
	t.Helper()
	servers := nomadtest.TestCluster(t, 3, cb)
	leader := nomadtest.WaitForCluster(t, servers)
	var followers []*nomadlike.Server
	for _, s := range servers {
		if s != leader {
			followers = append(followers, s)
		}
	}
	return leader, followers
}

func noClusterWorkers(_ int, cfg *nomadlike.Config) { cfg.NumSchedulers = -1 }

// TestForward_Cluster checks, on one three-server cluster, what a
// follower does with requests it cannot or need not answer itself.
func TestForward_Cluster(t *testing.T) {
	t.Parallel()
	leader, followers := testCluster(t, noClusterWorkers)
	follower := followers[0]

	transports := map[string]structs.RPCer{"in process": follower, "tcp": newTCPRPC(t, follower)}
	for name, rpc := range transports {
		t.Run("write on follower reaches leader/"+name, func(t *testing.T) {
			job := mock.Job()
			resp := registerJob(t, rpc, job)
			// The leader answered: its index is committed there.
			got, err := leader.State().JobByID(nil, job.Namespace, job.ID)
			if err != nil || got == nil {
				t.Fatalf("job %s not on the leader right after register (index %d): %v", job.ID, resp.Index, err)
			}
			if got.ModifyIndex != resp.Index {
				t.Fatalf("leader has job at index %d, reply said %d", got.ModifyIndex, resp.Index)
			}
		})
	}

	job := mock.Job()
	reg := registerJob(t, leader, job)
	nomadtest.WaitFor(t, 5*time.Second, func() error {
		if j, _ := follower.State().JobByID(nil, job.Namespace, job.ID); j == nil {
			return fmt.Errorf("job not replicated to follower yet")
		}
		return nil
	})

	reads := []struct {
		name         string
		stale        bool
		wantLocalAns bool
	}{
		{"stale read served by follower", true, true},
		{"consistent read forwarded to leader", false, false},
	}
	for _, tc := range reads {
		t.Run(tc.name, func(t *testing.T) {
			var resp structs.SingleJobResponse
			req := &structs.JobSpecificRequest{JobID: job.ID, QueryOptions: structs.QueryOptions{AllowStale: tc.stale}}
			if err := follower.RPC(structs.JobGetJobRPC, req, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Job == nil || !resp.KnownLeader {
				t.Fatalf("reply job %v, known leader %v: want the job and a known leader", resp.Job, resp.KnownLeader)
			}
			// Only a follower reports time since it last heard from the
			// leader; the leader itself reports zero.
			if local := resp.LastContact > 0; local != tc.wantLocalAns {
				t.Fatalf("last contact %v: answered locally = %v, want %v", resp.LastContact, local, tc.wantLocalAns)
			}
		})
	}

	t.Run("blocking query through follower wakes on change", func(t *testing.T) {
		done := make(chan error, 1)
		var resp structs.SingleJobResponse
		go func() {
			req := &structs.JobSpecificRequest{JobID: job.ID, QueryOptions: structs.QueryOptions{
				MinQueryIndex: reg.Index, MaxQueryTime: 20 * time.Second}}
			done <- follower.RPC(structs.JobGetJobRPC, req, &resp)
		}()
		update := job.Copy()
		update.Meta = map[string]string{"changed": "yes"}
		up := registerJob(t, followers[1], update)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if resp.Index < up.Index || resp.Job == nil || resp.Job.Meta["changed"] != "yes" {
				t.Fatalf("woke at index %d with meta %v, want index >= %d and the update", resp.Index, resp.Job.Meta, up.Index)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("blocking query did not wake after the job changed")
		}
	})
}

// TestForward_PlanNeedsOutstandingToken checks that the leader commits a
// plan only for the delivery that still holds its evaluation, whichever
// server the worker runs on.
func TestForward_PlanNeedsOutstandingToken(t *testing.T) {
	t.Parallel()
	leader, followers := testCluster(t, noClusterWorkers)
	follower := followers[0]
	node := mock.Node()
	var nresp structs.NodeUpdateResponse
	if err := follower.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nresp); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	registerJob(t, follower, job)

	var deq structs.EvalDequeueResponse
	req := &structs.EvalDequeueRequest{Schedulers: []string{job.Type}, Timeout: 5 * time.Second}
	if err := follower.RPC(structs.EvalDequeueRPC, req, &deq); err != nil {
		t.Fatal(err)
	}
	if deq.Eval == nil || deq.Eval.JobID != job.ID || deq.Token == "" {
		t.Fatalf("dequeue gave %+v, want the job's eval with a token", deq)
	}
	if deq.WaitIndex < deq.Eval.ModifyIndex {
		t.Fatalf("wait index %d is below the eval's modify index %d", deq.WaitIndex, deq.Eval.ModifyIndex)
	}
	stored, err := leader.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	submit := func(token string) (*structs.PlanResponse, error) {
		alloc := mock.AllocFor(stored, node, 0)
		alloc.EvalID = deq.Eval.ID
		plan := &structs.Plan{EvalID: deq.Eval.ID, EvalToken: token, Priority: stored.Priority, Job: stored}
		plan.AppendAlloc(alloc)
		var resp structs.PlanResponse
		err := follower.RPC(structs.PlanSubmitRPC, &structs.PlanRequest{Plan: plan}, &resp)
		return &resp, err
	}

	if _, err := submit("not-the-token"); err == nil || !strings.Contains(err.Error(), nomadlike.ErrTokenMismatch.Error()) {
		t.Fatalf("plan with a wrong token: error %v, want %q", err, nomadlike.ErrTokenMismatch)
	}
	resp, err := submit(deq.Token)
	if err != nil {
		t.Fatalf("plan with the delivery's token: %v", err)
	}
	if resp.Result == nil || resp.Result.AllocIndex == 0 {
		t.Fatalf("plan result %+v: want a committed allocation", resp.Result)
	}
	var ack structs.GenericResponse
	if err := follower.RPC(structs.EvalAckRPC, &structs.EvalAckRequest{EvalID: deq.Eval.ID, Token: deq.Token}, &ack); err != nil {
		t.Fatalf("ack through follower: %v", err)
	}
	if _, err := submit(deq.Token); err == nil || !strings.Contains(err.Error(), nomadlike.ErrNotOutstanding.Error()) {
		t.Fatalf("plan after the eval was acked: error %v, want %q", err, nomadlike.ErrNotOutstanding)
	}
	allocs, err := leader.State().AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(allocs) != 1 {
		t.Fatalf("%d allocations committed, want exactly the one of the valid plan", len(allocs))
	}
}

// TestForward_WorkersOnFollowers pauses the leader's workers and checks
// that the followers' workers schedule the jobs, each placed exactly once.
func TestForward_WorkersOnFollowers(t *testing.T) {
	t.Parallel()
	leader, followers := testCluster(t, nil)
	nomadlike.PauseWorkersForTest(leader)
	for i := 0; i < 2; i++ {
		var resp structs.NodeUpdateResponse
		if err := leader.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: mock.Node()}, &resp); err != nil {
			t.Fatal(err)
		}
	}

	const jobs = 6
	var registered []*structs.Job
	for i := 0; i < jobs; i++ {
		job := mock.Job()
		job.TaskGroups[0].Count = 2
		registerJob(t, followers[i%2], job)
		registered = append(registered, job)
	}
	nomadtest.WaitFor(t, 20*time.Second, func() error {
		for _, job := range registered {
			allocs, err := leader.State().AllocsByJob(nil, job.Namespace, job.ID)
			if err != nil {
				return err
			}
			if len(allocs) != 2 {
				return fmt.Errorf("job %s has %d allocations, want 2", job.ID, len(allocs))
			}
		}
		return nil
	})
	// The leader's one worker may have been inside a Dequeue when it was
	// paused, and may take one evaluation; every other one must have been
	// scheduled by a follower.
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		byFollowers := followers[0].EvalsProcessed() + followers[1].EvalsProcessed()
		byLeader := leader.EvalsProcessed()
		if byFollowers+byLeader != jobs || byLeader > 1 {
			return fmt.Errorf("followers acked %d evaluations and the leader %d, want %d in all and at most 1 by the leader",
				byFollowers, byLeader, jobs)
		}
		return nil
	})
}

// TestForward_ClientServerList checks that register and heartbeat answers
// name every server, so clients can fail over to any of them.
func TestForward_ClientServerList(t *testing.T) {
	t.Parallel()
	leader, followers := testCluster(t, noClusterWorkers)
	var resp structs.NodeUpdateResponse
	if err := followers[1].RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: mock.Node()}, &resp); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, s := range append([]*nomadlike.Server{leader}, followers...) {
		want[s.RPCAddr().String()] = true
	}
	if len(resp.Servers) != len(want) {
		t.Fatalf("servers %v, want %d", resp.Servers, len(want))
	}
	for _, s := range resp.Servers {
		if !want[s] {
			t.Fatalf("servers %v name %s, which is not a server", resp.Servers, s)
		}
	}
	if resp.LeaderRPCAddr != leader.RPCAddr().String() {
		t.Fatalf("leader %q, want %s", resp.LeaderRPCAddr, leader.RPCAddr())
	}
}
