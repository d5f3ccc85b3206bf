package nomadlike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestServer_SchedulesJob runs the whole server path with the real
// scheduler: a ready node, a job of count 3, and the placements that the
// workers, plan queue and applier commit.
func TestServer_SchedulesJob(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	node := mock.Node()
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &reg); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 3
	resp := registerJob(t, s, job)

	nomadtest.WaitFor(t, 10*time.Second, func() error {
		var eval structs.SingleEvalResponse
		if err := s.RPC(structs.EvalGetEvalRPC, &structs.EvalSpecificRequest{EvalID: resp.EvalID}, &eval); err != nil {
			return err
		}
		if eval.Eval == nil || eval.Eval.Status != structs.EvalStatusComplete {
			return fmt.Errorf("eval %+v not complete", eval.Eval)
		}
		return nil
	})
	var allocs structs.JobAllocationsResponse
	if err := s.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: job.ID}, &allocs); err != nil {
		t.Fatal(err)
	}
	if len(allocs.Allocations) != 3 {
		t.Fatalf("%d allocations, want 3", len(allocs.Allocations))
	}
	for _, a := range allocs.Allocations {
		if a.NodeID != node.ID || a.DesiredStatus != structs.AllocDesiredStatusRun {
			t.Fatalf("allocation %+v: want desired run on %s", a, node.ID)
		}
	}
	var sum structs.JobSummaryResponse
	if err := s.RPC(structs.JobSummaryRPC, &structs.JobSpecificRequest{JobID: job.ID}, &sum); err != nil {
		t.Fatal(err)
	}
	if got := sum.JobSummary.Summary["web"]; got.Starting != 3 || got.Queued != 0 {
		t.Fatalf("summary %+v, want 3 starting", got)
	}
	var got structs.SingleJobResponse
	if err := s.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: job.ID}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Job.Status != structs.JobStatusRunning {
		t.Fatalf("job status %q, want running", got.Job.Status)
	}
}

func BenchmarkRaftJobRegister(b *testing.B) {
	s := nomadtest.TestServer(b, noWorkers)
	jobs := make([]*structs.Job, b.N)
	for i := range jobs {
		jobs[i] = mock.Job()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var resp structs.JobRegisterResponse
		if err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: jobs[i]}, &resp); err != nil {
			b.Fatal(err)
		}
	}
}
