package client

import (
	"strings"
	"testing"
	"time"

	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestCluster_PeriodicForceAndDispatchRun checks, on an in-process server
// and client, that a forced periodic launch and a dispatch each give a
// child job whose allocation runs, and that neither parent is scheduled.
func TestCluster_PeriodicForceAndDispatchRun(t *testing.T) {
	t.Parallel()
	srv := nomadtest.TestServer(t, nil)
	c := startMockClient(t, "node-a", srv)
	waitClientReady(t, c, 15*time.Second)

	batch := func(id string) *structs.Job {
		job := mock.BatchJob()
		job.ID, job.Name = id, id
		job.TaskGroups[0].Count = 1
		task := job.TaskGroups[0].Tasks[0]
		task.Driver, task.Config, task.KillTimeout = mockdriver.Name, map[string]interface{}{"run_for": "30s"}, time.Second
		return job
	}
	nightly := batch("nightly")
	nightly.Periodic = &structs.PeriodicConfig{Enabled: true, Specs: []string{"0 3 * * *"}, SpecType: structs.PeriodicSpecCron, TimeZone: "UTC"}
	report := batch("report")
	report.ParameterizedJob = &structs.ParameterizedJobConfig{Payload: structs.DispatchPayloadRequired, MetaRequired: []string{"customer"}}
	report.TaskGroups[0].Tasks[0].DispatchPayload = &structs.DispatchPayloadConfig{File: "in.txt"}
	for _, job := range []*structs.Job{nightly, report} {
		var reg structs.JobRegisterResponse
		if err := srv.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reg); err != nil {
			t.Fatal(err)
		}
	}

	var forced structs.PeriodicForceResponse
	if err := srv.RPC(structs.PeriodicForceRPC, &structs.PeriodicForceRequest{JobID: "nightly"}, &forced); err != nil {
		t.Fatal(err)
	}
	forcedEval, err := srv.State().EvalByID(nil, forced.EvalID)
	if err != nil || forcedEval == nil {
		t.Fatalf("forced eval: %v %v", forcedEval, err)
	}
	var dispatched structs.JobDispatchResponse
	req := &structs.JobDispatchRequest{JobID: "report", Meta: map[string]string{"customer": "acme"}, Payload: []byte("hello\n")}
	if err := srv.RPC(structs.JobDispatchRPC, req, &dispatched); err != nil {
		t.Fatal(err)
	}

	for _, childID := range []string{forcedEval.JobID, dispatched.DispatchedJobID} {
		child, err := srv.State().JobByID(nil, structs.DefaultNamespace, childID)
		if err != nil || child == nil {
			t.Fatalf("child %s: %v %v", childID, child, err)
		}
		a := waitRunningAlloc(t, srv, child, "")
		if a.Job == nil || a.Job.ParentID == "" || !strings.HasPrefix(a.JobID, a.Job.ParentID+"/") {
			t.Fatalf("allocation %s runs job %q of parent %q", a.ID, a.JobID, a.Job.ParentID)
		}
	}
	for _, parent := range []string{"nightly", "report"} {
		if allocs, _ := srv.State().AllocsByJob(nil, structs.DefaultNamespace, parent); len(allocs) != 0 {
			t.Fatalf("parent %s was scheduled itself: %d allocations", parent, len(allocs))
		}
	}
}
