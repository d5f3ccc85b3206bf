package nomadlike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestAutoscaler_LeaderChange scales a group up on one leader, kills it
// mid-episode (still loaded, inside the cooldown) and checks that the new
// leader, which has lost the in-memory sample window, neither repeats nor
// loses the action: it reads the cooldown from the scaling event in Raft
// and holds, leaving exactly one scale-up recorded.
func TestAutoscaler_LeaderChange(t *testing.T) {
	t.Parallel()
	captures := make([]*nomadtest.LogCapture, 3)
	servers := nomadtest.TestCluster(t, 3, func(i int, cfg *nomadlike.Config) {
		cfg.NumSchedulers = -1
		cfg.Logger, captures[i] = nomadtest.CaptureLogger(t, fmt.Sprintf("server-%d", i))
	})
	leader := nomadtest.WaitForCluster(t, servers)

	node := mock.Node()
	var nr structs.NodeUpdateResponse
	if err := leader.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		t.Fatalf("register node: %v", err)
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 1
	job.TaskGroups[0].Scaling = &structs.ScalingPolicy{Enabled: true, Min: 1, Max: 3,
		Config: &structs.AutoscalePolicy{EvaluationInterval: 100 * time.Millisecond, Cooldown: time.Hour,
			ScaleDownStabilization: time.Minute,
			Checks: []*structs.ScalingCheck{{Name: "cpu", Source: "orch", Query: structs.QueryAvgCPUAllocated,
				Strategy: structs.ScalingStrategyTarget, Target: 50}}}}
	registerJob(t, leader, job)
	stored, _ := leader.State().JobByID(nil, job.Namespace, job.ID)
	alloc := mock.AllocFor(stored, node, 0)
	applyPlan(t, leader, stored, alloc)

	emit := func(s *nomadlike.Server) error {
		var resp structs.EmitAllocMetricsResponse
		return s.RPC(structs.NodeEmitAllocMetricsRPC, &structs.EmitAllocMetricsRequest{NodeID: node.ID, SecretID: node.SecretID,
			Metrics: []*structs.AllocUsageMetric{{AllocID: alloc.ID, CPUPercent: 100, RPS: -1}}}, &resp)
	}
	actions := func(s *nomadlike.Server) []*structs.ScalingEvent {
		ev, err := s.State().ScalingEventsByJob(nil, job.Namespace, job.ID)
		if err != nil || ev == nil {
			return nil
		}
		var out []*structs.ScalingEvent
		for _, e := range ev.ScalingEvents[job.TaskGroups[0].Name] {
			if !e.Error && e.Count != nil {
				out = append(out, e)
			}
		}
		return out
	}
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		if err := emit(leader); err != nil {
			return err
		}
		if n := len(actions(leader)); n != 1 {
			return fmt.Errorf("%d scale actions on the first leader, want 1", n)
		}
		return nil
	})

	var rest []*nomadlike.Server
	var restLogs []*nomadtest.LogCapture
	for i, s := range servers {
		if s != leader {
			rest = append(rest, s)
			restLogs = append(restLogs, captures[i])
		}
	}
	if err := leader.Shutdown(); err != nil {
		t.Fatalf("shut down leader: %v", err)
	}
	var next *nomadlike.Server
	var nextLog *nomadtest.LogCapture
	nomadtest.WaitFor(t, 20*time.Second, func() error {
		for i, s := range rest {
			if s.IsLeader() {
				next, nextLog = s, restLogs[i]
				return nil
			}
		}
		return fmt.Errorf("no new leader yet")
	})
	// Still loaded: the new leader gets fresh samples, recommends 3 and
	// must hold it for the cooldown of the action the old leader took.
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		if err := emit(next); err != nil {
			return err
		}
		if nextLog.Find("scaling decision", "held: cooldown until") == "" {
			return fmt.Errorf("new leader has not decided on samples yet")
		}
		return nil
	})
	got := actions(next)
	if len(got) != 1 || *got[0].Count != 2 || got[0].PreviousCount != 1 {
		t.Fatalf("after the leader change: actions %+v, want exactly the one scale from 1 to 2", got)
	}
	if j, _ := next.State().JobByID(nil, job.Namespace, job.ID); j.TaskGroups[0].Count != 2 {
		t.Fatalf("count %d on the new leader, want 2", j.TaskGroups[0].Count)
	}
}
