package nomadlike_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func scaledJob() *structs.Job {
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Scaling = &structs.ScalingPolicy{Enabled: true, Min: 1, Max: 4,
		Config: &structs.AutoscalePolicy{EvaluationInterval: time.Second, Cooldown: time.Minute,
			ScaleDownStabilization: structs.DefaultScaleDownStabilization,
			Checks: []*structs.ScalingCheck{{Name: "cpu", Source: "orch", Query: structs.QueryAvgCPUAllocated,
				Strategy: structs.ScalingStrategyTarget, Target: 50}}}}
	return job
}

func scaleStatus(t *testing.T, rpc structs.RPCer, jobID string) *structs.JobScaleStatus {
	t.Helper()
	var resp structs.JobScaleStatusResponse
	if err := rpc.RPC(structs.JobScaleStatusRPC, &structs.JobScaleStatusRequest{JobID: jobID}, &resp); err != nil {
		t.Fatalf("scale status: %v", err)
	}
	return resp.JobScaleStatus
}

func int64p(n int64) *int64 { return &n }

// TestJobScale scales a group within its bounds, checks the new version,
// its evaluation and the event, and that every refused request changes
// nothing.
func TestJobScale(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := scaledJob()
	registerJob(t, s, job)
	group := job.TaskGroups[0].Name
	stopped := mock.Job()
	stopped.ID = "stopped"
	registerJob(t, s, stopped)
	var dr structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: stopped.ID}, &dr); err != nil {
		t.Fatalf("stop: %v", err)
	}

	bad := []struct {
		name string
		req  structs.JobScaleRequest
		want string
	}{
		{"negative count", structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Group": group}, Count: int64p(-1)}, "Count: -1 is negative"},
		{"unknown group", structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Group": "nope"}, Count: int64p(2)}, `no task group "nope"`},
		{"missing group", structs.JobScaleRequest{JobID: job.ID, Count: int64p(2)}, "Target.Group: missing"},
		{"above max", structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Group": group}, Count: int64p(5)}, "above the scaling maximum 4"},
		{"below min", structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Group": group}, Count: int64p(0)}, "below the scaling minimum 1"},
		{"stopped job", structs.JobScaleRequest{JobID: stopped.ID, Target: map[string]string{"Group": group}, Count: int64p(3)}, "is stopped"},
		{"unknown job", structs.JobScaleRequest{JobID: "nope", Target: map[string]string{"Group": group}, Count: int64p(3)}, "not found"},
		{"nothing to record", structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Group": group}}, "missing count"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var resp structs.JobRegisterResponse
			err := s.RPC(structs.JobScaleRPC, &tc.req, &resp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if n := len(jobVersions(t, s, job.ID)); n != 1 {
				t.Fatalf("a refused scale left %d versions, want 1", n)
			}
		})
	}

	var resp structs.JobRegisterResponse
	req := structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Job": job.ID, "Group": group},
		Count: int64p(4), Message: "more please", Meta: map[string]string{"who": "test"}}
	if err := s.RPC(structs.JobScaleRPC, &req, &resp); err != nil {
		t.Fatalf("scale: %v", err)
	}
	if resp.EvalID == "" {
		t.Fatal("scale created no evaluation")
	}
	scaleEval := resp.EvalID
	versions := jobVersions(t, s, job.ID)
	if len(versions) != 2 || versions[0].TaskGroups[0].Count != 4 {
		t.Fatalf("after scale %d versions, newest count %d; want 2 with count 4", len(versions), versions[0].TaskGroups[0].Count)
	}
	if n := countEvals(t, s, job, structs.EvalTriggerScaling); n != 1 {
		t.Fatalf("%d job-scaling evals, want 1", n)
	}
	// An event without a count records an error and changes nothing.
	errReq := structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Group": group}, Error: true, Message: "prometheus down"}
	if err := s.RPC(structs.JobScaleRPC, &errReq, &resp); err != nil {
		t.Fatalf("record error event: %v", err)
	}
	st := scaleStatus(t, s, job.ID)
	gs := st.TaskGroups[group]
	if gs == nil || gs.Desired != 4 || len(gs.Events) != 2 {
		t.Fatalf("group status %+v, want desired 4 with 2 events", gs)
	}
	if e := gs.Events[0]; !e.Error || e.Message != "prometheus down" || e.Count != nil {
		t.Fatalf("newest event %+v, want the error without count", e)
	}
	if e := gs.Events[1]; e.Count == nil || *e.Count != 4 || e.PreviousCount != 2 || e.EvalID == nil || *e.EvalID != scaleEval || e.Meta["who"] != "test" {
		t.Fatalf("scale event %+v, want count 4 from 2 with its eval and meta", e)
	}
}

// TestJobScaleEventsBounded checks that a group keeps only the newest
// events.
func TestJobScaleEventsBounded(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := scaledJob()
	registerJob(t, s, job)
	group := job.TaskGroups[0].Name
	for i := 0; i < structs.MaxScalingEventsPerGroup+5; i++ {
		var resp structs.JobRegisterResponse
		req := structs.JobScaleRequest{JobID: job.ID, Target: map[string]string{"Group": group}, Message: "event"}
		if err := s.RPC(structs.JobScaleRPC, &req, &resp); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if n := len(scaleStatus(t, s, job.ID).TaskGroups[group].Events); n != structs.MaxScalingEventsPerGroup {
		t.Fatalf("%d events kept, want %d", n, structs.MaxScalingEventsPerGroup)
	}
}

func TestScalingPolicies(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := scaledJob()
	registerJob(t, s, job)
	plain := mock.Job()
	plain.ID = "plain"
	registerJob(t, s, plain)
	var list structs.ScalingPolicyListResponse
	if err := s.RPC(structs.ScalingListPoliciesRPC, &structs.ScalingPolicyListRequest{}, &list); err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list.Policies) != 1 || list.Policies[0].Target["Job"] != job.ID {
		t.Fatalf("policies %+v, want the one of %q", list.Policies, job.ID)
	}
	want := structs.ScalingPolicyID(job.Namespace, job.ID, job.TaskGroups[0].Name)
	if list.Policies[0].ID != want {
		t.Fatalf("policy ID %q, want %q", list.Policies[0].ID, want)
	}
	var one structs.SingleScalingPolicyResponse
	if err := s.RPC(structs.ScalingGetPolicyRPC, &structs.ScalingPolicySpecificRequest{ID: want}, &one); err != nil {
		t.Fatalf("get: %v", err)
	}
	if one.Policy == nil || one.Policy.Max != 4 || one.Policy.Config == nil || one.Policy.Config.Checks[0].Target != 50 {
		t.Fatalf("policy %+v, want max 4 and its check", one.Policy)
	}
}

// TestJobRegisterPreserveCounts checks Nomad's -preserve-counts on an
// autoscaled group: without it the jobspec's count wins (as in Nomad);
// with it the running count is kept, bounded by the new min/max.
func TestJobRegisterPreserveCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		preserve bool
		newMax   int64
		want     int
	}{
		{name: "jobspec count wins by default", want: 1},
		{name: "preserve keeps the scaled count", preserve: true, newMax: 4, want: 4},
		{name: "preserved count is bounded by the new max", preserve: true, newMax: 3, want: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := nomadtest.TestServer(t, noWorkers)
			job := scaledJob()
			registerJob(t, s, job)
			var resp structs.JobRegisterResponse
			if err := s.RPC(structs.JobScaleRPC, &structs.JobScaleRequest{JobID: job.ID,
				Target: map[string]string{"Group": job.TaskGroups[0].Name}, Count: int64p(4)}, &resp); err != nil {
				t.Fatalf("scale: %v", err)
			}
			again := job.Copy()
			again.TaskGroups[0].Count = 1
			if tc.newMax > 0 {
				again.TaskGroups[0].Scaling.Max = tc.newMax
			}
			if err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: again, PreserveCounts: tc.preserve}, &resp); err != nil {
				t.Fatalf("register: %v", err)
			}
			if got := jobVersions(t, s, job.ID)[0].TaskGroups[0].Count; got != tc.want {
				t.Fatalf("count %d, want %d", got, tc.want)
			}
		})
	}
}
